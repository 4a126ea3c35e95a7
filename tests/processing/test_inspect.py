"""inspect(): identify from the bytes, bound the size before decoding, check integrity."""

import pickle
import struct
import tracemalloc
import zlib

import pytest
from PIL import Image, ImageFile

from images.processing import (
    ImageInfo,
    ImageRejected,
    Limits,
    ThumbnailOptions,
    inspect,
    render_thumbnails,
)

from .factories import encode, exif_bytes, interlaced_png, photo_like, png_chunk, png_file

LIMIT = 50_000_000
LIMITS = Limits(max_pixels=LIMIT)


def rejected(data: bytes, **kwargs) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        inspect(data, limits=Limits(max_pixels=kwargs.pop("max_pixels", LIMIT)))
    return caught.value


class TestFormatComesFromTheBytes:
    def test_jpeg_is_described_with_its_displayed_size(self, photo_jpeg):
        assert inspect(photo_jpeg, limits=LIMITS) == ImageInfo(
            format="JPEG", mime_type="image/jpeg", width=1200, height=800, thumbnail_format="JPEG"
        )

    def test_png_is_described_with_its_displayed_size(self):
        data = encode(Image.new("RGBA", (30, 20)), "PNG")
        assert inspect(data, limits=LIMITS) == ImageInfo(
            format="PNG", mime_type="image/png", width=30, height=20, thumbnail_format="PNG"
        )

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    def test_rotating_exif_orientation_swaps_the_reported_size(self, fmt):
        data = encode(Image.new("RGB", (30, 20)), fmt, exif=exif_bytes(orientation=6))
        info = inspect(data, limits=LIMITS)
        assert (info.width, info.height) == (20, 30)

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    def test_mirroring_exif_orientation_keeps_the_reported_size(self, fmt):
        data = encode(Image.new("RGB", (30, 20)), fmt, exif=exif_bytes(orientation=4))
        info = inspect(data, limits=LIMITS)
        assert (info.width, info.height) == (30, 20)

    def test_image_info_is_immutable(self, photo_jpeg):
        info = inspect(photo_jpeg, limits=LIMITS)
        with pytest.raises(AttributeError):
            info.width = 1


class TestRefusedFormats:
    def test_empty_file(self):
        exc = rejected(b"")
        assert exc.code == "empty"
        assert "empty" in str(exc)

    @pytest.mark.parametrize(
        ("fmt", "name"),
        [("BMP", "BMP"), ("TIFF", "TIFF"), ("JPEG2000", "JPEG 2000"), ("ICO", "icon")],
    )
    def test_other_image_formats_are_named_in_the_message(self, fmt, name):
        exc = rejected(encode(Image.new("RGB", (8, 8), "red"), fmt))
        assert exc.code == "unsupported_format"
        assert name in str(exc)
        assert "JPEG, PNG, WebP, AVIF, HEIC/HEIF and GIF" in str(exc)

    @pytest.mark.parametrize(
        "data",
        [b"hello, this is text", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"\x00" * 64],
    )
    def test_non_images(self, data):
        assert rejected(data).code == "unsupported_format"

    def test_rejection_is_a_value_error_with_a_code(self):
        exc = rejected(b"BM....")
        assert isinstance(exc, ValueError)
        assert exc.code == ImageRejected.UNSUPPORTED_FORMAT

    def test_the_same_rules_apply_when_rendering(self, options):
        with pytest.raises(ImageRejected) as caught:
            render_thumbnails(encode(Image.new("RGB", (8, 8)), "BMP"), [4], options=options)
        assert caught.value.code == "unsupported_format"


class TestPixelLimit:
    def test_limit_is_enforced_and_named_in_the_message(self):
        data = encode(Image.new("RGB", (200, 100)), "PNG")
        exc = rejected(data, max_pixels=19_999)
        assert exc.code == "too_many_pixels"
        assert "20,000 pixels" in str(exc)
        assert "the limit is 19,999 pixels" in str(exc)

    def test_exactly_at_the_limit_is_accepted(self):
        data = encode(Image.new("RGB", (200, 100)), "JPEG")
        assert inspect(data, limits=Limits(max_pixels=20_000)).width == 200

    def test_png_bomb_is_refused_from_its_header_without_decoding(self, bomb, monkeypatch):
        """400 MP claimed by a ~50 KB file: refused before a single pixel is decoded."""
        assert len(bomb) < 100_000

        def no_decoding(self, *args, **kwargs):
            raise AssertionError("the image was decoded")

        monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
        tracemalloc.start()
        try:
            with pytest.raises(ImageRejected) as caught:
                inspect(bomb, limits=LIMITS)
            with pytest.raises(ImageRejected):
                render_thumbnails(bomb, [200], options=ThumbnailOptions())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000
        assert caught.value.code == "too_many_pixels"
        assert "20000x20000" in str(caught.value)
        assert "400,000,000 pixels; the limit is 50,000,000 pixels" in str(caught.value)

    def test_jpeg_header_claiming_a_huge_frame_is_refused(self):
        data = bytearray(encode(Image.new("RGB", (16, 16)), "JPEG"))
        sof = data.index(b"\xff\xc0")
        struct.pack_into(">HH", data, sof + 5, 60_000, 60_000)
        exc = rejected(bytes(data))
        assert exc.code == "too_many_pixels"
        assert "3,600,000,000 pixels" in str(exc)

    def test_the_limit_passed_in_applies_whatever_pillows_global_says(self, monkeypatch):
        """The pixel limit is an argument: Pillow's process global is neither read nor needed."""
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
        data = encode(Image.new("RGB", (40, 30)), "JPEG")
        exc = rejected(data, max_pixels=1_000)
        assert exc.code == "too_many_pixels"
        assert "the limit is 1,000 pixels (MAX_IMAGE_PIXELS)" in str(exc)
        with pytest.raises(ImageRejected) as caught:
            render_thumbnails(data, [10], limits=Limits(max_pixels=1_000))
        assert caught.value.code == "too_many_pixels"

    @pytest.mark.filterwarnings("error::PIL.Image.DecompressionBombWarning")
    @pytest.mark.parametrize("pixels", [1_500, 2_500], ids=["warning", "error"])
    def test_pillows_bomb_guard_firing_anyway_is_a_rejection(self, monkeypatch, pixels):
        """Defence in depth: with Pillow's global set below our limit, its guard (a
        warning above it, made an error by a warnings filter, or an error above twice
        it) still ends as too_many_pixels, not a crash."""
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
        data = encode(Image.new("RGB", (pixels // 10, 10)), "JPEG")
        for call in (
            lambda: inspect(data, limits=LIMITS),
            lambda: render_thumbnails(data, [5], options=ThumbnailOptions()),
        ):
            with pytest.raises(ImageRejected) as caught:
                call()
            assert caught.value.code == "too_many_pixels"
            assert "pixels" in str(caught.value)

    def test_pillow_global_is_left_alone(self, photo_jpeg, options):
        before = Image.MAX_IMAGE_PIXELS
        inspect(photo_jpeg, limits=Limits(max_pixels=10**12))
        render_thumbnails(photo_jpeg, [100], options=options)
        assert before == Image.MAX_IMAGE_PIXELS


class TestIntegrity:
    @pytest.mark.parametrize("keep", [0.3, 0.6, 0.99])
    def test_truncated_jpeg(self, photo_jpeg, keep, options):
        data = photo_jpeg[: int(len(photo_jpeg) * keep)]
        exc = rejected(data)
        assert exc.code == "corrupt"
        assert "truncated or damaged" in str(exc)
        with pytest.raises(ImageRejected) as caught:
            render_thumbnails(data, [100], options=options)
        assert caught.value.code == "corrupt"

    def test_truncated_progressive_jpeg(self, photo):
        data = encode(photo, "JPEG", progressive=True)
        assert rejected(data[: len(data) // 2]).code == "corrupt"

    def test_jpeg_headers_without_a_frame(self):
        assert rejected(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01").code == "corrupt"

    @pytest.mark.parametrize("keep", [0.1, 0.5, 0.99])
    def test_truncated_png(self, keep, options):
        data = encode(photo_like((300, 200)), "PNG")
        data = data[: int(len(data) * keep)]
        assert rejected(data).code == "corrupt"

    def test_png_truncated_anywhere_after_the_header_fails_when_rendering(self, options):
        data = encode(photo_like((300, 200)), "PNG")
        with pytest.raises(ImageRejected) as caught:
            render_thumbnails(data[: len(data) // 2], [100], options=options)
        assert caught.value.code == "corrupt"

    def test_png_without_its_end_chunk(self):
        data = encode(Image.new("RGB", (30, 20)), "PNG")
        assert data.endswith(png_chunk(b"IEND", b""))
        assert rejected(data[:-12]).code == "corrupt"

    def test_png_with_a_damaged_byte(self):
        data = bytearray(encode(photo_like((120, 80)), "PNG"))
        data[len(data) // 2] ^= 0xFF
        assert rejected(bytes(data)).code == "corrupt"

    def test_png_whose_checksums_are_right_but_image_data_is_short(self):
        """Valid chunk CRCs around too little pixel data: caught by inflating it."""
        ihdr = struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0)
        short = zlib.compress(bytes(50 * (1 + 300)))  # half of the rows
        assert rejected(png_file(ihdr, short)).code == "corrupt"
        whole = zlib.compress(bytes(100 * (1 + 300)))
        assert inspect(png_file(ihdr, whole), limits=LIMITS).height == 100

    def test_png_whose_image_data_is_not_zlib(self):
        ihdr = struct.pack(">IIBBBBB", 10, 10, 8, 0, 0, 0, 0)
        assert rejected(png_file(ihdr, b"this is not deflate data")).code == "corrupt"

    def test_png_with_an_impossible_header(self):
        ihdr = struct.pack(">IIBBBBB", 10, 10, 7, 2, 0, 0, 0)  # 7-bit RGB does not exist
        assert rejected(png_file(ihdr, zlib.compress(b""))).code == "corrupt"

    @pytest.mark.parametrize("size", [(1, 1), (3, 5), (9, 10), (17, 3), (64, 48)])
    def test_interlaced_png_sizes_are_understood(self, size):
        data = interlaced_png(photo_like(size))
        assert inspect(data, limits=LIMITS) == ImageInfo("PNG", "image/png", *size, "PNG")

    def test_interlaced_png_missing_its_last_pass(self):
        complete = interlaced_png(photo_like((64, 48)))
        raw = zlib.decompress(complete[8 + 25 + 8 : -12 - 4])
        ihdr = struct.pack(">IIBBBBB", 64, 48, 8, 2, 0, 0, 1)
        short = png_file(ihdr, zlib.compress(raw[: -(1 + 64 * 3) * 24]))
        assert rejected(short).code == "corrupt"


def test_rejection_survives_pickling_for_task_queues():
    exc = rejected(b"")
    copy = pickle.loads(pickle.dumps(exc))
    assert (type(copy), copy.code, str(copy)) == (ImageRejected, "empty", str(exc))


def test_png_stored_as_one_huge_image_data_chunk(options):
    """Some encoders write all image data in one IDAT chunk: checked in bounded pieces."""
    raw = bytes(2000 * (1 + 2000 * 3))
    ihdr = struct.pack(">IIBBBBB", 2000, 2000, 8, 2, 0, 0, 0)
    data = png_file(ihdr, zlib.compress(raw, 1))
    assert inspect(data, limits=LIMITS).width == 2000
    assert rejected(png_file(ihdr, zlib.compress(raw[:-1], 1))).code == "corrupt"
