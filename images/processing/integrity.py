"""Cheap integrity checks: every scan or chunk read, no full-size pixel buffer kept."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from images.processing.headers import Header, png_chunks, png_raw_size
from images.processing.model import DECODE_ERRORS, corrupt, too_many_pixels_from_pillow
from images.processing.orientation import jpeg_orientation, orientation_from_exif

# Inflate PNG data in pieces of this size when checking integrity (bounded memory).
INFLATE_PIECE = 256 * 1024


def check_jpeg(data: bytes, header: Header) -> int:
    """Decode at 1/8 scale (reads every scan, tiny buffer); return the EXIF orientation."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as im:
            orientation = jpeg_orientation(im)
            im.draft(None, (1, 1))  # the smallest DCT scale, 1/8
            im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels_from_pillow(exc) from exc
    except DECODE_ERRORS as exc:
        raise corrupt("JPEG") from exc
    return orientation


def check_png(data: bytes, header: Header) -> int:
    """Check every chunk's CRC and inflate the image data without keeping it.

    Returns the EXIF orientation (from an eXIf chunk, wherever it is).
    """
    expected = png_raw_size(header)
    inflater = zlib.decompressobj()
    inflated = 0
    exif = None
    seen_end = False
    try:
        for ctype, start, length in png_chunks(data):
            stop = start + length
            if stop + 4 > len(data):
                break  # truncated inside a chunk
            (crc,) = struct.unpack_from(">I", data, stop)
            chunk = memoryview(data)[start:stop]
            if zlib.crc32(chunk, zlib.crc32(ctype)) != crc:
                raise corrupt("PNG")
            if ctype == b"IDAT":
                # Fed in slices: unconsumed_tail is a copy, so keep what it can hold small.
                for offset in range(0, length, INFLATE_PIECE):
                    if inflated >= expected:
                        break
                    pending = chunk[offset : offset + INFLATE_PIECE]
                    while pending and inflated < expected:
                        inflated += len(inflater.decompress(pending, INFLATE_PIECE))
                        pending = inflater.unconsumed_tail
            elif ctype == b"eXIf":
                exif = bytes(chunk)
            elif ctype == b"IEND":
                seen_end = True
    except zlib.error as exc:
        raise corrupt("PNG") from exc
    if not seen_end or inflated < expected:
        raise corrupt("PNG")
    return orientation_from_exif(exif)
