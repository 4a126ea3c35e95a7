"""Colour: CMYK and ICC-tagged sources come out as untagged sRGB; modes and alpha survive."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms, ImageDraw

from images.processing import render_thumbnails

from .factories import (
    BLUE,
    GREEN,
    RED,
    close,
    cmyk_icc_profile,
    decode,
    encode,
    icc_profile,
    png_file,
    quadrant_colours,
    quadrants,
)

SRGB = ImageCms.createProfile("sRGB")
# Mid-tones, so that a change of transfer curve moves every one of them a lot.
MID_TONES = ((128, 64, 32), (64, 128, 96), (32, 96, 160), (128, 128, 128))


def thumbnail_of(data: bytes, height: int, options, **kwargs) -> Image.Image:
    (thumb,) = render_thumbnails(data, [height], options=options, **kwargs)
    img = decode(thumb.content)
    assert "icc_profile" not in img.info
    return img


@pytest.fixture(scope="module")
def cmyk_jpeg() -> bytes:
    img = Image.new("CMYK", (400, 300))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 199, 149), fill=(0, 255, 255, 0))  # red
    draw.rectangle((200, 0, 399, 149), fill=(255, 0, 255, 0))  # green
    draw.rectangle((0, 150, 199, 299), fill=(255, 255, 0, 0))  # blue
    draw.rectangle((200, 150, 399, 299), fill=(0, 0, 0, 128))  # grey from black ink
    data = encode(img, "JPEG", quality=95)
    # Pillow writes Adobe-style CMYK: an APP14 "Adobe" segment and inverted values.
    assert b"Adobe" in data
    return data


@pytest.fixture(scope="module")
def linear_profile() -> bytes:
    return icc_profile("RGB", gamma=1.0)


@pytest.fixture(scope="module")
def rgba_png() -> bytes:
    # Left third: fully transparent (hiding a red colour); middle: half-transparent
    # blue; right: opaque green.
    img = Image.new("RGBA", (600, 200), (255, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((200, 0, 399, 199), fill=(0, 0, 255, 128))
    draw.rectangle((400, 0, 599, 199), fill=(0, 255, 0, 255))
    return encode(img, "PNG")


class TestCmyk:
    def test_comes_out_as_rgb_jpeg_without_a_profile(self, cmyk_jpeg, options):
        img = thumbnail_of(cmyk_jpeg, 150, options)
        assert (img.format, img.mode) == ("JPEG", "RGB")

    def test_inverted_adobe_cmyk_gives_the_right_colours(self, cmyk_jpeg, options):
        """Read without the Adobe inversion, the red patch (no cyan ink) would be cyan."""
        top_left, top_right, bottom_left, bottom_right = quadrant_colours(
            thumbnail_of(cmyk_jpeg, 150, options)
        )
        assert close(top_left, RED, 10)
        assert close(top_right, GREEN, 10)
        assert close(bottom_left, BLUE, 10)
        assert close(bottom_right, (127, 127, 127), 10)

    def test_embedded_cmyk_profile_is_used(self, options):
        """With a profile, its (lighter) black is what comes out, not the naive formula."""
        profile = cmyk_icc_profile(black_density=0.6)
        source = Image.new("CMYK", (400, 300), (0, 0, 0, 255))
        ImageDraw.Draw(source).rectangle((0, 0, 199, 149), fill=(0, 255, 255, 0))
        data = encode(source, "JPEG", quality=95, icc_profile=profile)
        img = thumbnail_of(data, 150, options)
        assert img.mode == "RGB"
        profile_obj = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        expected = ImageCms.profileToProfile(decode(data), profile_obj, SRGB, outputMode="RGB")
        expected = expected.resize(img.size, Image.Resampling.LANCZOS)
        for got, want in zip(quadrant_colours(img), quadrant_colours(expected), strict=True):
            assert close(got, want, 6), (got, want)
        assert close(quadrant_colours(img)[3], (102, 102, 102), 6)  # naive would be black
        assert close(quadrant_colours(img)[0], RED, 8)


class TestEmbeddedIccProfile:
    """A linear-light profile (gamma 1.0): stored 128 means what sRGB writes as ~188."""

    def expected(self, source: Image.Image, profile: bytes, size) -> list:
        profile_obj = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(source, profile_obj, SRGB)
        return quadrant_colours(converted.resize(size, Image.Resampling.LANCZOS))

    @pytest.mark.parametrize(("fmt", "tolerance"), [("JPEG", 6), ("PNG", 1)])
    def test_pixels_are_converted_to_srgb(self, linear_profile, options, fmt, tolerance):
        source = quadrants((400, 300), MID_TONES)
        data = encode(source, fmt, icc_profile=linear_profile, quality=95)
        img = thumbnail_of(data, 150, options)
        expected = self.expected(source, linear_profile, img.size)
        assert close(expected[3], (188, 188, 188), 2)  # the conversion is a real change
        for got, want in zip(quadrant_colours(img), expected, strict=True):
            assert close(got, want, tolerance), (got, want)

    def test_alpha_is_kept_through_the_conversion(self, linear_profile, options):
        source = Image.new("RGBA", (200, 100), (128, 128, 128, 0))
        ImageDraw.Draw(source).rectangle((100, 0, 199, 99), fill=(128, 128, 128, 200))
        data = encode(source, "PNG", icc_profile=linear_profile)
        img = thumbnail_of(data, 50, options)
        assert img.mode == "RGBA"
        assert img.getpixel((20, 25))[3] == 0
        assert close(img.getpixel((80, 25)), (188, 188, 188, 200), 2)

    def test_grey_profile_on_a_grey_image(self, options):
        data = encode(Image.new("L", (200, 100), 128), "JPEG", icc_profile=icc_profile("GRAY"))
        img = thumbnail_of(data, 50, options)
        assert img.mode == "L"
        assert abs(img.getpixel((50, 25)) - 188) <= 3

    @pytest.mark.parametrize(
        "profile", [icc_profile("GRAY"), b"not an ICC profile at all"], ids=["mismatch", "junk"]
    )
    def test_unusable_profile_is_ignored(self, options, profile):
        data = encode(Image.new("RGB", (200, 100), (128, 64, 32)), "PNG", icc_profile=profile)
        img = thumbnail_of(data, 50, options)
        assert close(img.getpixel((50, 25)), (128, 64, 32), 1)


class TestTransparency:
    def test_rgba_png_stays_an_rgba_png(self, rgba_png, options):
        img = thumbnail_of(rgba_png, 100, options)
        assert (img.format, img.mode, img.size) == ("PNG", "RGBA", (300, 100))

    def test_alpha_values_are_preserved(self, rgba_png, options):
        img = thumbnail_of(rgba_png, 100, options)
        assert all(img.getpixel((x, 50))[3] == 0 for x in range(0, 95, 5))
        assert all(abs(img.getpixel((x, 50))[3] - 128) <= 1 for x in range(105, 195, 5))
        assert all(img.getpixel((x, 50))[3] == 255 for x in range(205, 300, 5))
        assert close(img.getpixel((150, 50)), (0, 0, 255, 128), 1)

    def test_hidden_colour_of_transparent_pixels_does_not_bleed(self, rgba_png, options):
        """Resampling is done on premultiplied alpha, so no red fringe appears."""
        img = thumbnail_of(rgba_png, 100, options)
        for x in range(90, 110):
            r, _, _, a = img.getpixel((x, 50))
            assert a == 0 or r <= 2, (x, img.getpixel((x, 50)))

    def test_palette_png_with_a_transparent_index(self, options):
        img = Image.new("P", (200, 100), 0)
        img.putpalette([255, 255, 255, *RED, *GREEN])
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=1)
        out = thumbnail_of(encode(img, "PNG", transparency=0), 50, options)
        assert out.mode == "RGBA"
        assert out.getpixel((20, 25))[3] == 0
        assert close(out.getpixel((80, 25)), (*RED, 255), 1)

    def test_palette_png_with_alpha_per_entry(self, options):
        img = Image.new("P", (300, 100), 0)
        img.putpalette([*RED, *GREEN, *BLUE])
        draw = ImageDraw.Draw(img)
        draw.rectangle((100, 0, 199, 99), fill=1)
        draw.rectangle((200, 0, 299, 99), fill=2)
        data = encode(img, "PNG", transparency=bytes([0, 128, 255]))
        out = thumbnail_of(data, 50, options)
        assert [out.getpixel((x, 25))[3] for x in (25, 75, 125)] == [0, 128, 255]

    def test_grey_with_alpha_stays_grey_with_alpha(self, options):
        img = Image.new("LA", (200, 100), (200, 0))
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=(60, 255))
        out = thumbnail_of(encode(img, "PNG"), 50, options)
        assert out.mode == "LA"
        assert out.getpixel((20, 25))[1] == 0
        assert out.getpixel((80, 25)) == (60, 255)

    def test_grey_png_with_a_transparent_grey_level(self, options):
        img = Image.new("L", (200, 100), 7)
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=90)
        out = thumbnail_of(encode(img, "PNG", transparency=7), 50, options)
        assert out.mode == "LA"
        assert out.getpixel((20, 25))[1] == 0
        assert out.getpixel((80, 25)) == (90, 255)

    def test_rgb_png_with_a_transparent_colour(self, options):
        img = Image.new("RGB", (200, 100), (1, 2, 3))
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=GREEN)
        out = thumbnail_of(encode(img, "PNG", transparency=(1, 2, 3)), 50, options)
        assert out.mode == "RGBA"
        assert out.getpixel((20, 25))[3] == 0
        assert out.getpixel((80, 25)) == (*GREEN, 255)


class TestModes:
    def test_grey_jpeg_stays_grey(self, options):
        out = thumbnail_of(encode(Image.new("L", (200, 100), 77), "JPEG"), 50, options)
        assert (out.format, out.mode) == ("JPEG", "L")
        assert abs(out.getpixel((50, 25)) - 77) <= 1

    def test_grey_png_stays_grey(self, options):
        out = thumbnail_of(encode(Image.new("L", (200, 100), 77), "PNG"), 50, options)
        assert (out.format, out.mode) == ("PNG", "L")
        assert out.getpixel((50, 25)) == 77

    def test_one_bit_png(self, options):
        img = Image.new("1", (200, 100), 0)
        ImageDraw.Draw(img).rectangle((100, 0, 199, 99), fill=1)
        out = thumbnail_of(encode(img, "PNG"), 50, options)
        assert out.mode == "L"
        assert (out.getpixel((20, 25)), out.getpixel((80, 25))) == (0, 255)

    def test_sixteen_bit_grey_png_is_scaled_not_clipped(self, options):
        values = [0x8080] * 100 + [0xFFFF] * 100 + [0x0100] * 100
        img = Image.frombytes("I;16", (300, 1), struct.pack("<300H", *values))
        data = encode(img.resize((300, 100)), "PNG")
        assert decode(data).mode == "I;16"
        out = thumbnail_of(data, 50, options)
        assert out.mode == "L"
        assert [out.getpixel((x, 25)) for x in (25, 75, 125)] == [128, 255, 1]

    def test_sixteen_bit_grey_png_with_a_transparent_level(self, options):
        values = [1000] * 100 + [0x8080] * 100
        img = Image.frombytes("I;16", (200, 1), struct.pack("<200H", *values))
        out = thumbnail_of(encode(img.resize((200, 100)), "PNG", transparency=1000), 50, options)
        assert out.mode == "LA"
        assert out.getpixel((20, 25))[1] == 0
        assert out.getpixel((80, 25)) == (128, 255)

    def test_sixteen_bit_rgb_png(self, options):
        row = b"\x00" + bytes.fromhex("ff0080000100") * 40  # 16-bit samples
        ihdr = struct.pack(">IIBBBBB", 40, 20, 16, 2, 0, 0, 0)
        data = png_file(ihdr, zlib.compress(row * 20))
        out = thumbnail_of(data, 10, options)
        assert out.mode == "RGB"
        assert close(out.getpixel((10, 5)), (255, 128, 1), 1)
