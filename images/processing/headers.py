"""Identify and bound: format from the magic bytes, size from the header, before decoding."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from PIL import Image

from images.processing.model import ImageRejected, corrupt

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Header:
    format: str
    width: int
    height: int
    # PNG only: the IHDR fields needed to know how much image data to expect.
    bit_depth: int = 0
    colour_type: int = 0
    interlaced: bool = False


# Signatures of formats we refuse, so the message can say what the file is.
_OTHER_FORMATS = (
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
    (b"\x00\x00\x01\x00", "an icon file"),
)


def read_header(data: bytes, *, max_pixels: int) -> Header:
    if not data:
        raise ImageRejected(
            "The file is empty. Choose a JPEG or PNG image and upload it again.",
            code=ImageRejected.EMPTY,
        )
    if data.startswith(b"\xff\xd8\xff"):
        header = _jpeg_header(data)
    elif data.startswith(PNG_SIGNATURE):
        header = _png_header(data)
    else:
        raise ImageRejected(
            f"This file is {_describe_other(data)}; only JPEG and PNG images are accepted "
            "(the content is checked, not the file name). Convert it to JPEG or PNG and "
            "upload it again.",
            code=ImageRejected.UNSUPPORTED_FORMAT,
        )
    _check_pixels(header.width, header.height, max_pixels)
    return header


def _describe_other(data: bytes) -> str:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "an AVIF image"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
            return "a HEIC/HEIF image"
        return "a video or ISO media file"
    for signature, name in _OTHER_FORMATS:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip()
    if head[:5].lower() == b"<?xml" or b"<svg" in head.lower():
        return "an SVG or XML document"
    return "not a JPEG or PNG image"


def _effective_pixel_limit(max_pixels: int) -> int:
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; staying at or
    # below it means Pillow never does either. Read (never written) per call.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit is None:
        return max_pixels
    return min(max_pixels, pillow_limit)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    limit = _effective_pixel_limit(max_pixels)
    pixels = width * height
    if pixels > limit:
        raise ImageRejected(
            f"The image is {width}x{height}, which is {pixels:,} pixels; the limit is "
            f"{limit:,} pixels. Scale it down and upload it again.",
            code=ImageRejected.TOO_MANY_PIXELS,
        )


# JPEG start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_header(data: bytes) -> Header:
    """Read the frame size from the SOF marker(s) before the first scan."""
    pos, end = 2, len(data)
    largest: tuple[int, int] | None = None
    while True:
        # Markers are 0xFF, any number of 0xFF fill bytes, then the marker code.
        if pos >= end or data[pos] != 0xFF:
            break
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers carry no length
        if marker in (0xD9, 0xDA) or pos + 2 > end:
            break  # end of image or start of scan: the header is over
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            break
        if marker in _JPEG_SOF:
            if pos + 7 > end:
                break
            height, width = struct.unpack_from(">HH", data, pos + 3)
            if width == 0 or height == 0:
                break  # no frame size (DNL marker): not something we can bound
            if largest is None or width * height > largest[0] * largest[1]:
                largest = (width, height)
        pos += length
    if largest is None:
        raise corrupt("JPEG")
    return Header("JPEG", *largest)


def png_chunks(data: bytes, *, stop_at_idat: bool = False):
    """Yield (type, offset of data, length) per chunk; stops at IEND or the data's end."""
    pos, end = len(PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        start = pos + 8
        if length > 0x7FFFFFFF:
            raise corrupt("PNG")
        yield ctype, start, length
        if ctype == b"IEND" or (stop_at_idat and ctype == b"IDAT"):
            return
        pos = start + length + 4  # data and CRC


def _png_header(data: bytes) -> Header:
    chunks = png_chunks(data, stop_at_idat=True)
    first = next(chunks, None)
    if first is None or first[0] != b"IHDR" or first[2] != 13 or first[1] + 13 > len(data):
        raise corrupt("PNG")
    width, height, bit_depth, colour_type, _, _, interlace = struct.unpack_from(
        ">IIBBBBB", data, first[1]
    )
    if width == 0 or height == 0 or (colour_type, bit_depth) not in _PNG_VALID_DEPTHS:
        raise corrupt("PNG")
    # A second IHDR before the image data would make Pillow use that size: bound both.
    for ctype, start, length in chunks:
        if ctype == b"IHDR" and length == 13 and start + 8 <= len(data):
            w2, h2 = struct.unpack_from(">II", data, start)
            if w2 * h2 > width * height:
                width, height = w2, h2
    return Header("PNG", width, height, bit_depth, colour_type, bool(interlace))


# (colour type, bit depth) pairs allowed by the PNG specification -> samples per pixel.
_PNG_VALID_DEPTHS = {
    **{(0, d): 1 for d in (1, 2, 4, 8, 16)},
    **{(3, d): 1 for d in (1, 2, 4, 8)},
    **{(2, d): 3 for d in (8, 16)},
    **{(4, d): 2 for d in (8, 16)},
    **{(6, d): 4 for d in (8, 16)},
}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def png_raw_size(header: Header) -> int:
    """Bytes of filtered scanlines the IDAT stream must inflate to."""
    bits = _PNG_VALID_DEPTHS[header.colour_type, header.bit_depth] * header.bit_depth

    def size(width: int, height: int) -> int:
        if width == 0 or height == 0:
            return 0
        return height * (1 + (width * bits + 7) // 8)

    if not header.interlaced:
        return size(header.width, header.height)
    return sum(
        size(
            max(0, math.ceil((header.width - x0) / dx)),
            max(0, math.ceil((header.height - y0) / dy)),
        )
        for x0, y0, dx, dy in _ADAM7
    )
