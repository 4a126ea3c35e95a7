"""Decode memory, estimated from the header before a pixel is decoded.

The estimate follows what the decoders actually allocate:

* the pixel buffer Pillow decodes into, at the decoded size (after JPEG DCT scaling):
  1 byte per pixel for 1-bit, grey and palette images, 2 for 16-bit grey, and 4 for
  everything else (Pillow keeps RGB, CMYK and two-band images in 32 bits per pixel);
* for a JPEG with more than one scan (every progressive file), libjpeg's whole-image
  coefficient buffer: 64 two-byte coefficients per 8x8 block of every component, at
  full size whatever the DCT scale, padded to whole MCUs;
* a few rows of working buffers in the decoders, the reduced working copy the
  pipeline makes (in strips) before resizing, when it makes one, and the largest
  thumbnail twice (the resampled image and its upright, sRGB copy);
* for WebP, AVIF and HEIF, the decoder's own full-size buffers before Pillow gets the
  pixels (see :func:`decoder_bytes`).
"""

from __future__ import annotations

import math

from images.processing.errors import ImageRejected
from images.processing.headers import Header
from images.processing.types import MIB, Limits

# Bytes per pixel of a Pillow image, by mode; every mode not listed uses 4.
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
# Bytes per column of the rows the decoders hold (libjpeg's MCU rows and context rows
# for upsampling, up to 4 components; Pillow's previous and current PNG row): a bound.
DECODER_ROW_BYTES = 2 * 16 * 4 * 2
# Pixel bytes of one strip of the reduction, held in up to three modes at once.
STRIP_BYTES = 4 * MIB


def pixel_bytes(mode: str) -> int:
    return _PIXEL_BYTES.get(mode, 4)


def jpeg_coefficient_bytes(header: Header) -> int:
    """libjpeg's whole-image coefficient arrays, kept when the file has several scans."""
    if not (header.progressive or header.scans > 1) or not header.sampling:
        return 0
    h_max = max(h for h, _ in header.sampling)
    v_max = max(v for _, v in header.sampling)
    mcus_across = math.ceil(header.width / (8 * h_max))
    mcus_down = math.ceil(header.height / (8 * v_max))
    blocks = sum(mcus_across * h * mcus_down * v for h, v in header.sampling)
    return blocks * 64 * 2


def decoder_bytes(header: Header) -> int:
    """Full-size buffers a decoder holds besides the Pillow image it fills (measured:
    peak RSS of one decode, in bytes a pixel, is in the README's Formats section).

    * WebP: libwebp's animation decoder (Pillow uses it for every WebP) keeps two RGBA
      canvases, and hands Pillow the frame as a bytes copy: 12 bytes a pixel.
    * AVIF: libavif's YCbCr planes (up to 3 samples a pixel plus alpha, 2 bytes each
      above 8 bits) and its RGBA output, then the bytes copy of it that Pillow reads:
      the planes and two 4-byte copies before Pillow's image exists, the planes, the
      bytes and Pillow's image after. Both peaks are the planes + 8 bytes a pixel.
    * HEIF: libheif converts the decoded HEVC planes into an interleaved 8-bit RGB(A)
      buffer (4 bytes a pixel with alpha) that Pillow copies from; the planes are freed
      before that copy, except an alpha image's plane or, above 8 bits, a wider one: a
      sample a pixel (2 bytes above 8 bits) on top. A grid's tiles are decoded and
      converted one (per thread) at a time into that one buffer.
    """
    pixels = header.width * header.height
    sample = 2 if header.sample_bits > 8 else 1
    if header.format == "WEBP":
        return 12 * pixels
    if header.format == "AVIF":
        return (4 * sample + 4) * pixels
    if header.format == "HEIF":
        return (4 + sample) * pixels
    return 0


def estimate(
    header: Header,
    mode: str,
    decoded: tuple[int, int],
    working: tuple[int, int] | None,
    largest: tuple[int, int],
) -> int:
    """Peak bytes of decoding ``header``'s image into ``mode`` at size ``decoded``,
    reducing it to a ``working`` copy (None: the decoded image is used as it is), and
    making a thumbnail of size ``largest`` from it (4 bytes per pixel for both)."""
    pixels = decoded[0] * decoded[1] * pixel_bytes(mode)
    copy = working[0] * working[1] * 4 if working else 0
    rows = header.width * DECODER_ROW_BYTES + 3 * STRIP_BYTES
    output = 2 * largest[0] * largest[1] * 4
    extra = jpeg_coefficient_bytes(header) + decoder_bytes(header)
    return extra + pixels + copy + rows + output


def check(needed: int, limits: Limits) -> None:
    if needed > limits.max_decode_bytes:
        raise ImageRejected(
            f"Decoding this image would take about {needed / MIB:,.0f} MiB of memory; the "
            f"limit is {limits.max_decode_bytes / MIB:,.0f} MiB (MAX_DECODE_BYTES). "
            "Progressive JPEGs, 16-bit images and large WebP, AVIF and HEIC files cost the "
            "most: save it as a baseline JPEG or an 8-bit PNG, or scale it down, and upload "
            "it again.",
            code=ImageRejected.TOO_COSTLY,
        )
