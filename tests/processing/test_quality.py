"""Quality floor: the fast path looks like the slow, obvious one.

The reference is what a careful but slow implementation does: decode the whole image
and resize it once with Lanczos. Ours decodes a JPEG at reduced size, box-reduces, and
makes a smaller thumbnail from the larger one. All of that together may cost at most a
little fidelity: PSNR >= 35 dB against the reference.

A lossy output encoder costs fidelity too, whoever resizes: on this deliberately busy
test picture JPEG quality 85 alone scores ~27-31 dB against the reference it encodes.
So the resampling path is measured through lossless (PNG) output, and JPEG output is
compared with the reference sent through the same encoder settings.
"""

import pytest
from PIL import Image, ImageOps

from images.processing import render_thumbnails

from .factories import decode, encode, exif_bytes, photo_like, psnr

FLOOR_DB = 35.0


@pytest.fixture(scope="module")
def big_photo() -> Image.Image:
    return photo_like((2400, 1600), seed=7)


@pytest.fixture(scope="module")
def sources(big_photo) -> dict[str, bytes]:
    return {
        "JPEG": encode(big_photo, "JPEG", quality=92),
        "PNG": encode(big_photo.convert("RGBA"), "PNG", compress_level=1),
    }


def reference(data: bytes, size: tuple[int, int]) -> Image.Image:
    full = ImageOps.exif_transpose(decode(data))
    return full.resize(size, Image.Resampling.LANCZOS)


def through_encoder(img: Image.Image, options) -> Image.Image:
    return decode(
        encode(
            img,
            "JPEG",
            quality=options.jpeg_quality,
            optimize=options.jpeg_optimize,
            progressive=options.jpeg_progressive,
        )
    )


# For the JPEG source [100, 200] is decoded at 1/4 scale and [200, 400] at 1/2, and
# the smaller height is made from the larger result; 533 is a third of the source.
HEIGHT_SETS = [[100, 200], [200, 400], [150, 533]]


@pytest.mark.parametrize("heights", HEIGHT_SETS)
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_resampling_matches_a_full_decode_and_lanczos_resize(sources, options, fmt, heights):
    data = sources[fmt]
    for thumb in render_thumbnails(data, heights, options=options, output_format="PNG"):
        ours = decode(thumb.content)
        expected = reference(data, ours.size).convert(ours.mode)
        assert psnr(ours, expected) >= FLOOR_DB, (thumb.height, psnr(ours, expected))


@pytest.mark.parametrize("heights", HEIGHT_SETS)
def test_jpeg_thumbnails_lose_nothing_beyond_the_encoder(sources, options, heights):
    data = sources["JPEG"]
    for thumb in render_thumbnails(data, heights, options=options):
        ours = decode(thumb.content)
        expected = reference(data, ours.size)
        encoded_reference = through_encoder(expected, options)
        assert psnr(ours, encoded_reference) >= FLOOR_DB
        # Against the perfect reference, ours is as good as encoding it directly.
        assert psnr(ours, expected) >= psnr(encoded_reference, expected) - 0.5


def test_rotated_jpeg_matches_too(big_photo, options):
    data = encode(big_photo, "JPEG", quality=92, exif=exif_bytes(orientation=8))
    for thumb in render_thumbnails(data, [200, 400], options=options, output_format="PNG"):
        ours = decode(thumb.content)
        assert ours.size == (round(thumb.height * 2 / 3), thumb.height)
        assert psnr(ours, reference(data, ours.size)) >= FLOOR_DB
