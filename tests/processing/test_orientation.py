"""EXIF orientation: thumbnails show what the camera meant, the right way up."""

import pytest
from PIL import Image, ImageOps

from images.processing import render_thumbnails

from .factories import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    close,
    decode,
    encode,
    exif_bytes,
    quadrant_colours,
    quadrants,
    stored_for_display,
)

# As it should be displayed: 480x320, red top-left, green top-right, blue bottom-left,
# yellow bottom-right. Four different corners tell all eight orientations apart.
DISPLAYED = (480, 320)


@pytest.fixture(scope="module")
def displayed() -> Image.Image:
    return quadrants(DISPLAYED)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", range(1, 9))
class TestAllEightOrientations:
    def source(self, displayed, orientation, fmt) -> bytes:
        stored = stored_for_display(displayed, orientation)
        data = encode(stored, fmt, exif=exif_bytes(orientation=orientation))
        # The test's own construction agrees with Pillow's reading of the tag.
        upright = ImageOps.exif_transpose(decode(data))
        assert upright.size == DISPLAYED
        assert close(quadrant_colours(upright)[0], RED, 8)
        return data

    def test_thumbnail_has_the_displayed_proportions(self, displayed, orientation, fmt, options):
        data = self.source(displayed, orientation, fmt)
        small, large = render_thumbnails(data, [80, 160], options=options)
        assert (small.width, small.height) == (120, 80)
        assert (large.width, large.height) == (240, 160)
        assert decode(large.content).size == (240, 160)

    def test_the_right_corner_is_on_top(self, displayed, orientation, fmt, options):
        data = self.source(displayed, orientation, fmt)
        for thumb in render_thumbnails(data, [80, 160], options=options):
            top_left, top_right, bottom_left, bottom_right = quadrant_colours(decode(thumb.content))
            assert close(top_left, RED, 12)
            assert close(top_right, GREEN, 12)
            assert close(bottom_left, BLUE, 12)
            assert close(bottom_right, YELLOW, 12)

    def test_top_rows_are_red(self, displayed, orientation, fmt, options):
        data = self.source(displayed, orientation, fmt)
        (thumb,) = render_thumbnails(data, [160], options=options)
        img = decode(thumb.content).convert("RGB")
        for y in range(3):
            for x in range(0, img.width // 2 - 4, 7):
                assert close(img.getpixel((x, y)), RED, 16), (x, y)

    def test_orientation_is_not_written_into_the_thumbnail(
        self, displayed, orientation, fmt, options
    ):
        data = self.source(displayed, orientation, fmt)
        (thumb,) = render_thumbnails(data, [80], options=options)
        assert decode(thumb.content).getexif().get(0x0112) is None


@pytest.mark.parametrize("value", [0, 9, 65535])
def test_nonsense_orientation_is_ignored(displayed, value, options):
    data = encode(displayed, "JPEG", exif=exif_bytes(orientation=value))
    (thumb,) = render_thumbnails(data, [80], options=options)
    assert (thumb.width, thumb.height) == (120, 80)
    assert close(quadrant_colours(decode(thumb.content))[0], RED, 12)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_block_does_not_stop_a_thumbnail(displayed, options):
    data = encode(displayed, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    (thumb,) = render_thumbnails(data, [80], options=options)
    assert (thumb.width, thumb.height) == (120, 80)
