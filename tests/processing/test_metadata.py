"""No thumbnail carries metadata: no EXIF (so no GPS), XMP, comments, text or ICC."""

import pytest
from PIL import ImageCms, PngImagePlugin

from images.processing import render_thumbnails

from .factories import (
    XMP,
    decode,
    encode,
    exif_bytes,
    jpeg_segments,
    photo_like,
    png_chunk_types,
)

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
COMMENT = b"shot at home, 1 Secret Street"
SECRETS = (b"Camera Maker", b"Secret Photographer", COMMENT, b"Exif\x00\x00", b"ICC_PROFILE")


@pytest.fixture(scope="module")
def tagged_jpeg() -> bytes:
    data = encode(
        photo_like((480, 320)),
        "JPEG",
        exif=exif_bytes(orientation=1, gps=True),
        xmp=XMP,
        comment=COMMENT,
        icc_profile=SRGB_ICC,
    )
    source = decode(data)
    assert source.getexif().get_ifd(0x8825)  # the source really has GPS data
    assert {"exif", "xmp", "comment", "icc_profile"} <= source.info.keys()
    return data


@pytest.fixture(scope="module")
def tagged_png() -> bytes:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", COMMENT.decode())
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = encode(
        photo_like((480, 320)).convert("RGBA"),
        "PNG",
        pnginfo=text,
        exif=exif_bytes(gps=True),
        icc_profile=SRGB_ICC,
    )
    assert {b"eXIf", b"iTXt", b"tEXt", b"iCCP"} <= set(png_chunk_types(data))
    return data


def assert_no_metadata(content: bytes) -> None:
    for secret in SECRETS:
        assert secret not in content
    img = decode(content)
    assert not img.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"} & img.info.keys()


class TestJpeg:
    def test_only_the_jfif_header_precedes_the_image_data(self, tagged_jpeg, options):
        for thumb in render_thumbnails(tagged_jpeg, [100, 200], options=options):
            segments = jpeg_segments(thumb.content)
            app_or_comment = [m for m in segments if 0xE0 <= m <= 0xEF or m == 0xFE]
            assert app_or_comment == [0xE0]  # APP0/JFIF only: no APP1 EXIF/XMP, APP2 ICC, COM

    def test_nothing_readable_is_left(self, tagged_jpeg, options):
        for thumb in render_thumbnails(tagged_jpeg, [100, 200], options=options):
            assert_no_metadata(thumb.content)


class TestPng:
    def test_only_image_chunks_are_written(self, tagged_png, options):
        for thumb in render_thumbnails(tagged_png, [100, 200], options=options):
            assert set(png_chunk_types(thumb.content)) == {b"IHDR", b"IDAT", b"IEND"}

    def test_nothing_readable_is_left(self, tagged_png, options):
        for thumb in render_thumbnails(tagged_png, [100, 200], options=options):
            assert_no_metadata(thumb.content)


@pytest.mark.parametrize("output_format", ["WEBP", "AVIF"])
@pytest.mark.parametrize("source", ["tagged_jpeg", "tagged_png"])
def test_other_output_formats_carry_nothing_either(request, source, output_format, options):
    data = request.getfixturevalue(source)
    (thumb,) = render_thumbnails(data, [100], options=options, output_format=output_format)
    assert_no_metadata(thumb.content)
    assert decode(thumb.content).format == output_format
