"""render_thumbnails(): which sizes come out, and how they are made from one decode."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from images.processing import RenderedThumbnail, ThumbnailOptions, render_thumbnails
from images.processing.resize import DCT_SCALE_GAP

from .factories import decode, encode, exif_bytes, photo_like


def sizes(thumbnails: list[RenderedThumbnail]) -> list[tuple[int, int, int]]:
    return [(t.requested_height, t.width, t.height) for t in thumbnails]


class TestHeightsAndWidths:
    def test_one_thumbnail_per_distinct_height_in_height_order(self, photo_jpeg, options):
        result = render_thumbnails(photo_jpeg, [400, 200, 400, 100], options=options)
        assert sizes(result) == [(100, 150, 100), (200, 300, 200), (400, 600, 400)]

    def test_thumbnails_really_have_the_reported_size(self, photo_jpeg, options):
        for thumb in render_thumbnails(photo_jpeg, [100, 333], options=options):
            assert decode(thumb.content).size == (thumb.width, thumb.height)

    def test_never_upscaled(self, options):
        data = encode(photo_like((225, 150)), "JPEG")
        result = render_thumbnails(data, [200, 400], options=options)
        assert sizes(result) == [(200, 225, 150), (400, 225, 150)]
        assert all(decode(t.content).size == (225, 150) for t in result)

    def test_source_sized_thumbnail_is_still_re_encoded_without_metadata(self, options):
        data = encode(photo_like((60, 40)), "JPEG", exif=exif_bytes(gps=True), comment=b"hi")
        (thumb,) = render_thumbnails(data, [40], options=options)
        assert (thumb.width, thumb.height) == (60, 40)
        assert "exif" not in decode(thumb.content).info

    def test_width_keeps_the_aspect_ratio_rounded_to_nearest(self, options):
        data = encode(Image.new("RGB", (1001, 1000)), "PNG")
        (thumb,) = render_thumbnails(data, [500], options=options)
        assert thumb.width == 501  # 500.5 rounds up, not to even

    def test_width_is_at_least_one_pixel(self, options):
        data = encode(Image.new("RGB", (3, 1000)), "PNG")
        (thumb,) = render_thumbnails(data, [100], options=options)
        assert (thumb.width, thumb.height) == (1, 100)

    def test_no_heights_no_thumbnails(self, photo_jpeg, options):
        assert render_thumbnails(photo_jpeg, [], options=options) == []

    @pytest.mark.parametrize("bad", [0, -5, 2.5, True, "200"])
    def test_heights_must_be_positive_integers(self, photo_jpeg, options, bad):
        with pytest.raises(ValueError, match="positive integers"):
            render_thumbnails(photo_jpeg, [200, bad], options=options)

    def test_unknown_output_format(self, photo_jpeg, options):
        with pytest.raises(ValueError, match="unknown output format"):
            render_thumbnails(photo_jpeg, [200], options=options, output_format="GIF")

    def test_invalid_options_are_refused(self):
        with pytest.raises(ValueError):
            ThumbnailOptions(jpeg_quality=101)
        with pytest.raises(ValueError):
            ThumbnailOptions(reducing_gap=0.5)


@pytest.fixture
def decodes(monkeypatch) -> list[tuple[int, int]]:
    """Records the size of every real decode (a load() that has pixel data to read)."""
    seen: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            seen.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


class TestOneDecode:
    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    def test_all_heights_come_from_one_decode(self, photo, fmt, options, decodes):
        render_thumbnails(encode(photo, fmt), [100, 200, 300, 400], options=options)
        assert len(decodes) == 1

    def test_jpeg_is_decoded_at_reduced_size_for_the_largest_thumbnail(
        self, photo_jpeg, options, decodes
    ):
        # 1200x800 -> largest 300x200; at DCT_SCALE_GAP 1.5 that needs >= 450x300: 1/2.
        render_thumbnails(photo_jpeg, [100, 200], options=options)
        assert decodes == [(600, 400)]

    def test_reduced_size_decoding_is_sized_for_the_rotated_box(self, options, decodes):
        """Stored 1200x800 with orientation 6 shows as 800x1200.

        A 300 px high thumbnail is 200x300 as shown, 300x200 as stored, so 1/2 scale
        (600x400) is enough. Ignoring orientation would ask for a 450 px high stored
        image and decode at full size.
        """
        data = encode(photo_like((1200, 800)), "JPEG", exif=exif_bytes(orientation=6))
        (thumb,) = render_thumbnails(data, [300], options=options)
        assert decodes == [(600, 400)]
        assert (thumb.width, thumb.height) == (200, 300)

    @pytest.mark.parametrize("height", [50, 99, 100, 133, 134, 200, 267, 268, 400, 799])
    def test_decode_scale_is_the_smallest_that_keeps_enough_pixels(
        self, photo_jpeg, options, height, decodes
    ):
        (thumb,) = render_thumbnails(photo_jpeg, [height], options=options)
        (decoded,) = decodes
        scale = 1200 // decoded[0]  # 1, 2, 4 or 8
        wanted = DCT_SCALE_GAP * thumb.height
        assert decoded[1] >= min(800, wanted)  # enough pixels
        assert scale == 8 or 800 / (2 * scale) < wanted  # the next scale down would not be

    def test_draft_is_asked_once_with_the_largest_target(self, photo_jpeg, options, monkeypatch):
        asked = []
        original = JpegImagePlugin.JpegImageFile.draft

        def draft(self, mode, size):
            asked.append(size)
            return original(self, mode, size)

        monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", draft)
        render_thumbnails(photo_jpeg, [50, 100, 200], options=options)
        render_thumbnails(photo_jpeg, [200], options=options)

        # One decode for the three heights, sized exactly as for the largest one alone,
        # and big enough for it (the source is 1200x800, the 200 px thumbnail 300x200).
        many, largest_alone = asked
        assert many == largest_alone
        assert many[0] >= 300 and many[1] >= 200


class TestThreads:
    def test_concurrent_rendering_gives_the_same_bytes(self, options):
        inputs = [
            encode(photo_like((480, 320), seed=i), fmt, **extra)
            for i, (fmt, extra) in enumerate(
                [
                    ("JPEG", {}),
                    ("PNG", {}),
                    ("JPEG", {"exif": exif_bytes(orientation=6)}),
                    ("JPEG", {"progressive": True}),
                ]
            )
        ]

        def render(data: bytes) -> list[bytes]:
            return [t.content for t in render_thumbnails(data, [60, 120], options=options)]

        serial = [render(data) for data in inputs]
        with ThreadPoolExecutor(max_workers=4) as pool:
            parallel = list(pool.map(render, inputs * 3))
        assert parallel == serial * 3
