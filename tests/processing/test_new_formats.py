"""HEIC/HEIF, AVIF, WebP and GIF uploads: real files made here, checked by their pixels."""

import io
import math
import struct
import time

import pytest
from PIL import Image, ImageDraw

from images.processing import ImageRejected, Limits, budget, inspect, render_thumbnails
from images.processing.headers import Header
from images.processing.resize import plan_sizes, reduce_factor
from images.processing.types import MIB, ThumbnailOptions

from . import hostile
from .factories import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    close,
    decode,
    encode,
    exif_bytes,
    heic,
    heic_16bit,
    heic_of,
    icc_profile,
    quadrant_colours,
    quadrants,
    stored_for_display,
    with_exif_orientation,
)

UPRIGHT = [RED, GREEN, BLUE, YELLOW]  # quadrant colours of the displayed picture


def thumb_of(data: bytes, height: int = 60, **kwargs):
    (thumb,) = render_thumbnails(data, [height], **kwargs)
    return thumb, decode(thumb.content)


def half_transparent(size=(120, 80)) -> Image.Image:
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((size[0] // 2, 0, size[0], size[1]), fill=(*GREEN, 255))
    return img


class TestCanonicalThumbnailFormats:
    @pytest.mark.parametrize(
        ("make", "source", "canonical"),
        [
            (lambda img: heic(img, quality=90), "HEIF", "JPEG"),
            (lambda img: encode(img, "AVIF", quality=90), "AVIF", "JPEG"),
            (lambda img: encode(img, "WEBP", quality=90), "WEBP", "WEBP"),
            (lambda img: encode(img.convert("P"), "GIF"), "GIF", "PNG"),
        ],
    )
    def test_each_source_has_one_thumbnail_format_every_browser_shows(
        self, make, source, canonical
    ):
        data = make(quadrants((160, 120)))
        info = inspect(data, heights=[60])
        assert (info.format, info.thumbnail_format, info.width, info.height) == (
            source,
            canonical,
            160,
            120,
        )
        thumb, img = thumb_of(data)
        assert (thumb.format, img.format, img.size) == (canonical, canonical, (80, 60))
        for got, want in zip(quadrant_colours(img), UPRIGHT, strict=True):
            assert close(got, want, 24), (got, want)

    @pytest.mark.parametrize(
        "make",
        [lambda img: heic(img, quality=90), lambda img: encode(img, "AVIF", quality=90)],
    )
    def test_heic_and_avif_with_alpha_become_png_and_keep_it(self, make):
        data = make(half_transparent())
        assert inspect(data).thumbnail_format == "PNG"
        thumb, img = thumb_of(data, 40)
        assert thumb.format == "PNG" and img.mode == "RGBA"
        assert img.getpixel((10, 20))[3] == 0
        assert close(img.getpixel((50, 20)), (*GREEN, 255), 12)

    def test_modern_formats_are_still_available_on_request(self):
        data = heic(quadrants((160, 120)), quality=90)
        for fmt in ("WEBP", "AVIF", "PNG"):
            thumb, img = thumb_of(data, output_format=fmt)
            assert (thumb.format, img.format, img.size) == (fmt, fmt, (80, 60))


class TestHeicOrientation:
    """libheif applies irot/imir; the EXIF orientation next to it is never applied again."""

    def test_a_phone_photo_with_irot_and_exif_orientation_is_turned_once(self):
        stored = stored_for_display(quadrants((160, 120)), 6)
        data = heic(stored, exif=exif_bytes(orientation=6), quality=90)
        assert b"irot" in data
        assert inspect(data).width == 160
        _, img = thumb_of(data)
        assert img.size == (80, 60)
        for got, want in zip(quadrant_colours(img), UPRIGHT, strict=True):
            assert close(got, want, 24), (got, want)

    def test_exif_orientation_without_irot_is_not_applied(self):
        # HEIF's transformative properties decide; EXIF orientation is informational.
        plain = heic(quadrants((160, 120)), exif=exif_bytes(orientation=1), quality=90)
        data = with_exif_orientation(plain, 6)
        assert b"irot" not in data and data != plain
        _, img = thumb_of(data)
        assert img.size == (80, 60)
        for got, want in zip(quadrant_colours(img), UPRIGHT, strict=True):
            assert close(got, want, 24), (got, want)


class TestHeicContent:
    def test_10_bit_is_brought_to_8_bits_without_banding_or_a_colour_cast(self):
        row16 = b"".join(struct.pack("<H", x * 64 + x // 16) for x in range(1024))
        grey16 = Image.frombytes("I;16", (1024, 32), row16 * 32)  # 0..65535 left to right
        data = heic_16bit(grey16, quality=95, chroma=444)
        _, img = thumb_of(data, 32)
        assert img.size == (1024, 32)
        row = [img.getpixel((x, 16)) for x in range(1024)]
        assert all(max(p) - min(p) <= 2 for p in row)  # grey stays grey
        greys = [p[1] for p in row]
        assert len(set(greys)) >= 240  # every level, no bands
        for x in range(0, 1024, 64):
            assert abs(greys[x] - round(x * 255 / 1023)) <= 4, x

    def test_a_multi_image_file_gives_its_primary_image(self):
        images = [Image.new("RGB", (96, 64), colour) for colour in (RED, BLUE, GREEN)]
        data = heic_of(images, primary=1)
        _, img = thumb_of(data, 32)
        assert close(img.getpixel((24, 16)), BLUE, 16)


class TestAvif:
    def test_exif_orientation_comes_from_irot_and_is_applied_once(self):
        stored = stored_for_display(quadrants((160, 120)), 6)
        data = encode(stored, "AVIF", quality=90, exif=exif_bytes(orientation=6))
        assert b"irot" in data
        _, img = thumb_of(data)
        assert img.size == (80, 60)
        for got, want in zip(quadrant_colours(img), UPRIGHT, strict=True):
            assert close(got, want, 24), (got, want)

    def test_an_embedded_icc_profile_is_converted_to_srgb(self):
        # Linear light: 128 is 50 %, which sRGB writes as about 188.
        data = encode(
            Image.new("RGB", (64, 64), (128,) * 3),
            "AVIF",
            quality=95,
            icc_profile=icc_profile(gamma=1.0),
        )
        _, img = thumb_of(data, 32)
        assert close(img.getpixel((16, 16)), (188,) * 3, 6)


class TestWebp:
    @pytest.mark.parametrize("params", [{"quality": 90}, {"lossless": True}])
    def test_lossy_and_lossless(self, params):
        _, img = thumb_of(encode(quadrants((160, 120)), "WEBP", **params))
        for got, want in zip(quadrant_colours(img), UPRIGHT, strict=True):
            assert close(got, want, 16), (got, want)

    def test_alpha_is_kept(self):
        thumb, img = thumb_of(encode(half_transparent(), "WEBP", lossless=True), 40)
        assert thumb.format == "WEBP" and img.mode == "RGBA"
        assert img.getpixel((10, 20))[3] == 0
        assert close(img.getpixel((50, 20)), (*GREEN, 255), 8)

    def test_an_animation_gives_its_first_frame(self):
        frames = [Image.new("RGB", (90, 60), colour) for colour in (RED, GREEN, BLUE)]
        data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=50)
        assert getattr(decode(data), "n_frames", 1) == 3
        _, img = thumb_of(data, 30)
        assert getattr(img, "n_frames", 1) == 1
        assert close(img.getpixel((20, 15)), RED, 8)


class TestGif:
    def test_palette_colours_survive_exactly(self):
        img = quadrants((160, 120)).convert("P")
        _, out = thumb_of(encode(img, "GIF"))
        assert quadrant_colours(out) == UPRIGHT

    def test_transparency_becomes_png_alpha(self):
        img = Image.new("P", (120, 80), 0)
        img.putpalette([0, 0, 0, *GREEN])
        ImageDraw.Draw(img).rectangle((60, 0, 119, 79), fill=1)
        thumb, out = thumb_of(encode(img, "GIF", transparency=0), 40)
        assert thumb.format == "PNG" and out.mode == "RGBA"
        assert out.getpixel((10, 20))[3] == 0
        assert out.getpixel((50, 20)) == (*GREEN, 255)

    def test_an_animation_gives_its_first_frame(self):
        frames = [Image.new("RGB", (90, 60), colour) for colour in (RED, GREEN, BLUE)]
        data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
        _, img = thumb_of(data, 30)
        assert img.getpixel((20, 15)) == RED

    def test_interlaced_and_not_give_the_same_thumbnail(self):
        img = quadrants((160, 120)).convert("P")
        interlaced, plain = encode(img, "GIF", interlace=True), encode(img, "GIF", interlace=False)
        assert interlaced != plain
        assert thumb_of(interlaced)[0].content == thumb_of(plain)[0].content


DEFAULTS = Limits()


def refusal(data: bytes, limits: Limits = DEFAULTS) -> ImageRejected:
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as caught:
        inspect(data, limits=limits, heights=[200, 400])
    assert time.perf_counter() - started < 1.0
    return caught.value


class TestHostile:
    @pytest.mark.parametrize(
        "make",
        [
            lambda: hostile.claiming_isobmff(heic(Image.new("RGB", (64, 64)))),
            lambda: hostile.claiming_isobmff(encode(Image.new("RGB", (64, 64)), "AVIF")),
            lambda: hostile.webp_claiming(100_000, 100_000),
            lambda: hostile.gif_screen(65_535, 65_535),
        ],
        ids=["heic", "avif", "webp", "gif"],
    )
    def test_absurd_declared_sizes_are_refused_before_decoding(self, make):
        assert refusal(make()).code == "too_many_pixels"

    def test_a_heic_grid_of_thousands_of_tiles(self):
        exc = refusal(hostile.heif_grid(5_000))
        assert exc.code == "too_many_tiles" and "MAX_TILES" in str(exc)

    @pytest.mark.parametrize(
        "make", [lambda: hostile.gif_frames(10_000), lambda: hostile.webp_frames(5_000)]
    )
    def test_thousands_of_animation_frames(self, make):
        exc = refusal(make())
        assert exc.code == "too_many_frames" and "MAX_FRAMES" in str(exc)

    def test_the_frame_limit_is_the_callers(self):
        data = hostile.gif_frames(50)
        assert inspect(data, limits=Limits(max_frames=50)).width == 8
        assert refusal(data, Limits(max_frames=49)).code == "too_many_frames"

    def test_a_gif_that_is_also_an_html_page_is_only_ever_a_gif(self):
        data = hostile.gif_and_html()
        thumb, _ = thumb_of(data, 30)
        assert (inspect(data).format, thumb.format) == ("GIF", "PNG")
        assert b"<script" not in thumb.content

    @pytest.mark.parametrize(
        "make",
        [
            lambda: heic(quadrants((96, 64))),
            lambda: encode(quadrants((96, 64)), "AVIF"),
            lambda: encode(quadrants((96, 64)), "WEBP"),
            lambda: encode(quadrants((96, 64)).convert("P"), "GIF"),
        ],
        ids=["heic", "avif", "webp", "gif"],
    )
    def test_truncated_files_are_refused_as_damaged(self, make):
        data = make()
        for cut in (len(data) // 3, len(data) // 2):
            assert refusal(data[:cut]).code == "corrupt", cut

    def test_a_heic_larger_than_the_decode_budget_is_refused_before_decoding(self):
        data = heic(Image.new("RGB", (640, 480)))
        exc = refusal(data, Limits(max_decode_bytes=4 * 1024 * 1024))
        assert exc.code == "decode_too_costly"
        assert inspect(data, limits=Limits(max_decode_bytes=32 * 1024 * 1024)).width == 640


def test_every_new_format_round_trips_its_metadata_out():
    data = heic(quadrants((96, 64)), exif=exif_bytes(gps=True))
    thumb, _ = thumb_of(data, 32)
    assert b"Camera" not in thumb.content and b"Exif" not in thumb.content
    assert io.BytesIO(thumb.content).getbuffer().nbytes == len(thumb.content)


def heic_estimate(width: int, height: int) -> int:
    """What decode() estimates for an 8-bit HEIC of this size and the Enterprise set:
    Pillow's RGB image, libheif's buffers, the reduced working copy, the thumbnail."""
    tallest = max(plan_sizes(width, height, [200, 400]).values(), key=lambda size: size[1])
    factor = reduce_factor((width, height), tallest, ThumbnailOptions().reducing_gap)
    # An RGB image is reduced into a working copy only when it is large enough to.
    working = None
    if factor != (1, 1):
        working = (math.ceil(width / factor[0]), math.ceil(height / factor[1]))
    header = Header("HEIF", width, height)
    return budget.estimate(header, "RGB", (width, height), working, tallest)


class TestHeicDecodeBudget:
    """libheif converts the HEVC planes into one interleaved 8-bit RGB(A) buffer (4 bytes
    a pixel with alpha) that Pillow copies into its own 4 bytes a pixel; the planes are
    freed before the copy, but for an alpha plane or a wider one above 8 bits, so one
    sample a pixel is counted on top: 9 bytes a pixel for an 8-bit HEIC in all."""

    def test_libheif_buffers_are_counted_per_pixel(self):
        assert budget.decoder_bytes(Header("HEIF", 4000, 3000)) == 5 * 4000 * 3000
        ten_bit = Header("HEIF", 4000, 3000, sample_bits=10)
        assert budget.decoder_bytes(ten_bit) == 6 * 4000 * 3000

    def test_a_48_megapixel_iphone_photo_is_over_the_default_budget(self):
        needed = heic_estimate(8064, 6048)
        assert round(needed / MIB) == 438
        with pytest.raises(ImageRejected) as caught:
            budget.check(needed, DEFAULTS)
        assert caught.value.code == "decode_too_costly"

    def test_up_to_about_27_megapixels_fits_the_default_budget(self):
        budget.check(heic_estimate(6048, 4536), DEFAULTS)  # 27.4 MP, 4:3
        with pytest.raises(ImageRejected):
            budget.check(heic_estimate(6096, 4572), DEFAULTS)  # 27.9 MP

    def test_a_real_heic_is_estimated_from_its_size(self):
        data = heic(Image.new("RGB", (640, 480)))
        message = str(refusal(data, Limits(max_decode_bytes=1)))
        assert f"about {heic_estimate(640, 480) / MIB:,.0f} MiB" in message
