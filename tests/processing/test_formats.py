"""Input variants that must work, and the output formats and encoder settings."""

import pytest
from PIL import Image, ImageDraw

from images.processing import ThumbnailOptions, render_thumbnails

from .factories import (
    BLUE,
    GREEN,
    RED,
    close,
    decode,
    encode,
    interlaced_png,
    photo_like,
    psnr,
)


class TestInputVariants:
    def test_progressive_jpeg_gives_the_same_picture_as_baseline(self, photo, options):
        baseline = encode(photo, "JPEG", quality=92)
        progressive = encode(photo, "JPEG", quality=92, progressive=True)
        assert decode(progressive).info.get("progressive")
        (a,) = render_thumbnails(baseline, [200], options=options)
        (b,) = render_thumbnails(progressive, [200], options=options)
        assert psnr(decode(a.content), decode(b.content)) > 45

    def test_interlaced_png_gives_the_same_thumbnail_as_non_interlaced(self, options):
        source = photo_like((240, 160))
        interlaced = interlaced_png(source)
        assert decode(interlaced).info.get("interlace")
        (a,) = render_thumbnails(interlaced, [80], options=options)
        (b,) = render_thumbnails(encode(source, "PNG"), [80], options=options)
        assert a.content == b.content

    def test_animated_png_uses_the_first_frame(self, options):
        frames = [Image.new("RGB", (200, 100), colour) for colour in (RED, GREEN, BLUE)]
        data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)
        assert getattr(decode(data), "n_frames", 1) == 3
        (thumb,) = render_thumbnails(data, [50], options=options)
        img = decode(thumb.content)
        assert getattr(img, "n_frames", 1) == 1
        assert close(img.getpixel((50, 25)), RED, 0)


class TestSourceFamilyIsKept:
    def test_jpeg_gives_jpeg(self, photo_jpeg, options):
        for thumb in render_thumbnails(photo_jpeg, [100, 200], options=options):
            assert (thumb.format, thumb.mime_type) == ("JPEG", "image/jpeg")
            assert decode(thumb.content).format == "JPEG"

    def test_png_gives_png(self, photo, options):
        for thumb in render_thumbnails(encode(photo, "PNG"), [100, 200], options=options):
            assert (thumb.format, thumb.mime_type) == ("PNG", "image/png")
            assert decode(thumb.content).format == "PNG"


class TestRequestedOutputFormats:
    @pytest.mark.parametrize(("fmt", "mime"), [("WEBP", "image/webp"), ("AVIF", "image/avif")])
    def test_decodes_as_the_requested_format(self, photo_jpeg, options, fmt, mime):
        result = render_thumbnails(photo_jpeg, [100, 200], options=options, output_format=fmt)
        for thumb in result:
            assert (thumb.format, thumb.mime_type) == (fmt, mime)
            img = decode(thumb.content)
            assert (img.format, img.size) == (fmt, (thumb.width, thumb.height))

    @pytest.mark.parametrize("fmt", ["WEBP", "AVIF"])
    def test_transparency_survives(self, options, fmt):
        img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=(*GREEN, 255))
        (thumb,) = render_thumbnails(encode(img, "PNG"), [50], options=options, output_format=fmt)
        out = decode(thumb.content).convert("RGBA")
        assert out.getpixel((20, 25))[3] == 0
        assert close(out.getpixel((80, 25)), (*GREEN, 255), 12)

    @pytest.mark.parametrize("fmt", ["WEBP", "AVIF"])
    def test_grey_sources_work(self, options, fmt):
        data = encode(Image.new("L", (200, 100), 100), "PNG")
        (thumb,) = render_thumbnails(data, [50], options=options, output_format=fmt)
        assert close(decode(thumb.content).convert("RGB").getpixel((50, 25)), (100,) * 3, 3)

    def test_format_name_is_case_insensitive(self, photo_jpeg, options):
        (thumb,) = render_thumbnails(photo_jpeg, [100], options=options, output_format="webp")
        assert thumb.format == "WEBP"

    def test_transparent_png_as_jpeg_is_flattened_on_white(self, options):
        img = Image.new("RGBA", (200, 100), (255, 0, 0, 0))
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=(*BLUE, 255))
        (thumb,) = render_thumbnails(
            encode(img, "PNG"), [50], options=options, output_format="JPEG"
        )
        out = decode(thumb.content)
        assert out.mode == "RGB"
        assert close(out.getpixel((20, 25)), (255, 255, 255), 3)
        assert close(out.getpixel((80, 25)), BLUE, 6)


class TestEncoderSettings:
    def test_jpeg_progressive_follows_the_options(self, photo_jpeg):
        for progressive in (True, False):
            options = ThumbnailOptions(jpeg_progressive=progressive)
            (thumb,) = render_thumbnails(photo_jpeg, [200], options=options)
            assert bool(decode(thumb.content).info.get("progressive")) is progressive

    @pytest.mark.parametrize(
        ("fmt", "field"),
        [("JPEG", "jpeg_quality"), ("WEBP", "webp_quality"), ("AVIF", "avif_quality")],
    )
    def test_quality_follows_the_options(self, photo_jpeg, fmt, field):
        def size(quality: int) -> int:
            options = ThumbnailOptions(**{field: quality})
            (thumb,) = render_thumbnails(photo_jpeg, [200], options=options, output_format=fmt)
            return len(thumb.content)

        assert size(30) < size(90)

    def test_jpeg_optimize_makes_smaller_files(self, photo_jpeg):
        def size(optimize: bool) -> int:
            options = ThumbnailOptions(jpeg_optimize=optimize, jpeg_progressive=False)
            (thumb,) = render_thumbnails(photo_jpeg, [200], options=options)
            return len(thumb.content)

        assert size(True) < size(False)
