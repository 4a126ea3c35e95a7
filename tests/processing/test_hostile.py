"""Hostile images: what can't render is refused at validation, what costs too much is
refused from its header, before decoding, with a reason that names the limit."""

import pytest
from PIL import Image, ImageFile

from images.processing import (
    EXTENSIONS,
    FORMATS,
    MIME_TYPES,
    ImageRejected,
    Limits,
    decode,
    inspect,
    render_thumbnails,
)

from . import hostile
from .factories import encode, photo_like

HEIGHTS = (200, 400)


DEFAULTS = Limits()


def refusal(data: bytes, limits: Limits = DEFAULTS, heights=HEIGHTS) -> ImageRejected:
    """Validation's refusal, checked to be rendering's refusal too (the same decode)."""
    with pytest.raises(ImageRejected) as at_upload:
        inspect(data, limits=limits, heights=heights)
    with pytest.raises(ImageRejected) as at_render:
        render_thumbnails(data, heights, limits=limits)
    assert at_render.value.code == at_upload.value.code
    return at_upload.value


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if Pillow decodes any pixel data."""

    def decoding(self, *args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding)


class TestUndecodablePngsAreRefusedAtUpload:
    """Each of these used to be accepted, stored and listed, with thumbnails that never came."""

    @pytest.mark.parametrize(
        ("build", "code", "words"),
        [
            (hostile.png_bad_filter_byte, "corrupt", "damaged"),
            (hostile.png_palette_without_plte, "corrupt", "palette image without its palette"),
            (hostile.png_iccp_bomb, "metadata_too_large", "ICC profile (iCCP) inflates"),
            (hostile.png_ztxt_bomb, "metadata_too_large", "text chunks inflate to more than"),
            (hostile.png_text_chunk_over_limit, "metadata_too_large", "text chunk (zTXt)"),
            (hostile.png_itxt_over_limit, "metadata_too_large", "text chunk (iTXt)"),
            (hostile.apng_frame_sequence_error, "corrupt", "damaged"),
        ],
        ids=lambda value: getattr(value, "__name__", None),
    )
    def test_refused_with_a_reason(self, build, code, words):
        exc = refusal(build())
        assert exc.code == code
        assert words in str(exc)
        assert "again" in str(exc)

    @pytest.mark.parametrize(
        "build", [hostile.png_bad_filter_byte, hostile.apng_frame_sequence_error]
    )
    def test_refused_even_for_a_tier_without_thumbnails(self, build):
        """No heights still means one full decode: accepted files render later."""
        with pytest.raises(ImageRejected) as caught:
            inspect(build(), heights=())
        assert caught.value.code == "corrupt"

    def test_metadata_limits_are_checked_before_pillow_reads_the_chunks(self, no_decoding):
        exc = refusal(hostile.png_iccp_bomb())
        assert exc.code == "metadata_too_large"

    def test_metadata_limits_are_arguments(self):
        data = hostile.png_text_chunk_over_limit(size=5000)
        assert inspect(data, heights=HEIGHTS).width == 16
        exc = refusal(data, limits=Limits(max_text_chunk=4096))
        assert exc.code == "metadata_too_large"
        assert "4,096 bytes" in str(exc)


class TestJpegScans:
    def test_scan_bomb_is_refused_from_the_header(self, no_decoding):
        exc = refusal(hostile.scan_bomb(size=1024, repeats=20_000))
        assert exc.code == "too_many_scans"
        assert "MAX_JPEG_SCANS" in str(exc)
        assert "the limit is 32" in str(exc)

    def test_the_scan_limit_is_an_argument_and_inclusive(self):
        data = encode(photo_like((64, 48)).convert("L"), "JPEG", progressive=True)
        scans = len(hostile.jpeg_scans(data)[1])
        assert inspect(data, limits=Limits(max_jpeg_scans=scans), heights=HEIGHTS).width == 64
        assert refusal(data, limits=Limits(max_jpeg_scans=scans - 1)).code == "too_many_scans"

    def test_scans_inside_an_embedded_thumbnail_are_not_counted(self):
        """An EXIF preview holds a JPEG with its own scans; only the image's count."""
        preview = encode(photo_like((32, 24)), "JPEG", progressive=True)
        app1 = b"\xff\xe1" + (len(preview) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + preview
        data = encode(photo_like((64, 48)), "JPEG")
        data = data[:2] + app1 + data[2:]
        assert inspect(data, limits=Limits(max_jpeg_scans=1), heights=HEIGHTS).width == 64


class TestDecodeMemoryBudget:
    def test_progressive_444_at_50_megapixels_is_refused_before_decoding(self, no_decoding):
        small = hostile.progressive_444(64, 48)
        exc = refusal(hostile.claiming(small, 8660, 5773))
        assert exc.code == "decode_too_costly"
        assert "MAX_DECODE_BYTES" in str(exc)
        assert "the limit is 256 MiB" in str(exc)

    def test_progressive_cmyk_at_50_megapixels_is_refused_before_decoding(self, no_decoding):
        small = hostile.progressive_cmyk(64, 48)
        assert refusal(hostile.claiming(small, 8660, 5773)).code == "decode_too_costly"

    @staticmethod
    def needed_mib(data: bytes) -> int:
        """What the refusal message says a decode would take, with a budget of 1 byte."""
        message = str(refusal(data, limits=Limits(max_decode_bytes=1)))
        return int(message.split("about ")[1].split(" MiB")[0].replace(",", ""))

    def test_progressive_coefficients_are_counted_at_full_size(self):
        """libjpeg keeps 64 two-byte coefficients per block of every component for a
        progressive file, whatever the DCT scale: 6 bytes a pixel at 4:4:4."""
        img = photo_like((3000, 2000))
        baseline = self.needed_mib(encode(img, "JPEG", subsampling=0))
        progressive = self.needed_mib(encode(img, "JPEG", subsampling=0, progressive=True))
        assert progressive - baseline == pytest.approx(6 * 3000 * 2000 / 2**20, abs=1)

    def test_16_bit_samples_are_counted(self):
        """Pillow keeps 16-bit grey in two bytes a pixel: one more than 8-bit grey."""
        eight = encode(Image.linear_gradient("L").resize((3000, 2000)), "PNG")
        sixteen = hostile.png_16bit_grey(3000, 2000)
        extra = self.needed_mib(sixteen) - self.needed_mib(eight)
        assert extra == pytest.approx(3000 * 2000 / 2**20, abs=1)

    def test_50_megapixel_16_bit_grey_png_renders_within_the_default_budget(self):
        thumbs = render_thumbnails(hostile.png_16bit_grey(), HEIGHTS)
        assert [(t.width, t.height) for t in thumbs] == [(300, 200), (600, 400)]

    def test_baseline_jpeg_at_50_megapixels_is_within_the_default_budget(self, no_decoding):
        """Refused for the budget would have been refused before decoding: this one got
        as far as the decode (and the test's stand-in, which forbids decoding)."""
        data = hostile.claiming(encode(photo_like((64, 48)), "JPEG"), 8660, 5773)
        with pytest.raises(AssertionError, match="decoded"):
            inspect(data, heights=HEIGHTS)


class TestOneDecodeServesValidationAndRendering:
    def test_rendering_a_decoded_upload_decodes_nothing_again(self, photo_jpeg, monkeypatch):
        decoded = decode(photo_jpeg, HEIGHTS, limits=Limits())
        expected = render_thumbnails(photo_jpeg, HEIGHTS)
        monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("opened again"))

        thumbs = render_thumbnails(decoded, HEIGHTS)
        webp = render_thumbnails(decoded, HEIGHTS, output_format="webp")

        assert thumbs == expected
        assert [t.format for t in webp] == ["WEBP", "WEBP"]

    def test_a_taller_thumbnail_than_the_decode_serves_decodes_again(self, photo_jpeg):
        decoded = decode(photo_jpeg, [100], limits=Limits())
        thumbs = render_thumbnails(decoded, [100, 600])
        assert thumbs == render_thumbnails(photo_jpeg, [100, 600])

    def test_the_decoded_upload_describes_it(self, photo_jpeg):
        decoded = decode(photo_jpeg, HEIGHTS, limits=Limits())
        assert decoded.info == inspect(photo_jpeg, heights=HEIGHTS)


class TestLimitsAreValues:
    @pytest.mark.parametrize("field", ["max_pixels", "max_decode_bytes", "max_jpeg_scans"])
    @pytest.mark.parametrize("value", [0, -1, 1.5, True])
    def test_nonsense_limits_are_refused(self, field, value):
        with pytest.raises(ValueError, match=field):
            Limits(**{field: value})


def test_extreme_panorama_thumbnails_fit_every_output_format():
    """WebP holds at most 16,383 pixels a side: a 40:1 panorama's 400 px thumbnail would
    be 16,000 wide, a 67:1 one is made less tall instead of failing."""
    data = encode(Image.new("RGB", (20_000, 300), "teal"), "JPEG")
    for fmt in (None, "WEBP"):
        thumbs = render_thumbnails(data, [400], output_format=fmt)
        assert (thumbs[0].width, thumbs[0].height) == (16_333, 245)


def test_one_format_table():
    assert EXTENSIONS == {
        "JPEG": "jpg",
        "PNG": "png",
        "WEBP": "webp",
        "AVIF": "avif",
        "HEIF": "heic",
        "GIF": "gif",
    }
    assert MIME_TYPES["AVIF"] == "image/avif"
    assert {f.mime_type for f in FORMATS.values()} == set(MIME_TYPES.values())
