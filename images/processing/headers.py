"""Identify and bound: format from the magic bytes, cost from the header walk, before decoding.

The walk reads every JPEG marker segment (skipping entropy-coded data with one regular
expression search per scan) and every PNG chunk (checking its CRC). It is linear in the
file size, allocates nothing per pixel, and refuses a file as soon as a count passes
its limit, so a file built to make a decoder loop is refused in milliseconds.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from dataclasses import dataclass

from images.processing.errors import ImageRejected, corrupt, too_many_pixels
from images.processing.types import Limits

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Header:
    format: str
    width: int
    height: int
    # JPEG: what decides the decoder's memory and time.
    progressive: bool = False
    scans: int = 0
    sampling: tuple[tuple[int, int], ...] = ()  # (horizontal, vertical) per component
    # PNG
    bit_depth: int = 0
    colour_type: int = 0
    interlaced: bool = False
    exif: bytes | None = None  # the eXIf chunk (JPEG EXIF is read by Pillow on open)


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


def read_header(data: bytes, limits: Limits) -> Header:
    """Identify the image and check every limit that its header and structure decide."""
    if not data:
        raise ImageRejected(
            "The file is empty. Choose a JPEG or PNG image and upload it again.",
            code=ImageRejected.EMPTY,
        )
    if data.startswith(b"\xff\xd8\xff"):
        header = _jpeg_header(data, limits)
    elif data.startswith(PNG_SIGNATURE):
        header = _png_header(data, limits)
    else:
        raise ImageRejected(
            f"This file is {_describe_other(data)}; only JPEG and PNG images are accepted "
            "(the content is checked, not the file name). Convert it to JPEG or PNG and "
            "upload it again.",
            code=ImageRejected.UNSUPPORTED_FORMAT,
        )
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


def check_pixels(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits.max_pixels)


def _too_many_segments(fmt: str, what: str, limit: int) -> ImageRejected:
    return ImageRejected(
        f"The {fmt} file has more than {limit:,} {what}; real images have far fewer. "
        "Save it again with an ordinary image editor and upload it again.",
        code=ImageRejected.TOO_COSTLY,
    )


# ---------------------------------------------------------------------------- JPEG

# Start-of-frame markers (C4 DHT, C8 JPG and CC DAC are not frames); the progressive ones.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
# The end of entropy-coded data: 0xFF followed by neither a stuffed 0x00, a restart
# marker (D0-D7) nor another fill byte.
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_header(data: bytes, limits: Limits) -> Header:
    """Walk every segment to the end of the image: frame size, sampling, scan count."""
    pos, end = 2, len(data)
    frame: tuple[int, int, bool, tuple[tuple[int, int], ...]] | None = None
    segments = scans = 0
    while pos < end and data[pos] == 0xFF:
        # Markers are 0xFF, any number of 0xFF fill bytes, then the marker code.
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # standalone markers carry no length
        if marker == 0xD9 or pos + 2 > end:
            break  # end of image (anything after it, e.g. an MPO's second frame, is unread)
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2:
            break
        segments += 1
        if segments > limits.max_segments:
            raise _too_many_segments("JPEG", "marker segments", limits.max_segments)
        if marker in _JPEG_SOF:
            frame = _jpeg_frame(data, pos, marker, frame)
        pos += length
        if marker == 0xDA:
            scans += 1
            if scans > limits.max_jpeg_scans:
                raise ImageRejected(
                    f"The JPEG has more than {limits.max_jpeg_scans:,} scans, and each one "
                    "costs a full pass over the image (ordinary progressive JPEGs have about "
                    f"10; the limit is {limits.max_jpeg_scans:,}, MAX_JPEG_SCANS). Save it "
                    "again as a baseline or ordinary progressive JPEG and upload it again.",
                    code=ImageRejected.TOO_MANY_SCANS,
                )
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                break  # truncated inside a scan: the decoder reports it
            pos = found.start()
    if frame is None:
        raise corrupt("JPEG", "no frame header")
    width, height, progressive, sampling = frame
    check_pixels(width, height, limits)
    return Header("JPEG", width, height, progressive, scans, sampling)


def _jpeg_frame(data: bytes, pos: int, marker: int, largest):
    """The frame a SOF segment describes, if larger than ``largest`` (bound the biggest)."""
    if pos + 8 > len(data):
        return largest
    height, width, ncomp = struct.unpack_from(">HHB", data, pos + 3)
    if width == 0 or height == 0 or pos + 8 + 3 * ncomp > len(data):
        return largest  # no frame size (DNL) or cut short: the decoder refuses it
    sampling = tuple(
        (max(1, data[pos + 9 + 3 * i] >> 4), max(1, data[pos + 9 + 3 * i] & 0x0F))
        for i in range(ncomp)
    )
    if largest is not None and width * height <= largest[0] * largest[1]:
        return largest
    return width, height, marker in _JPEG_PROGRESSIVE, sampling


# ----------------------------------------------------------------------------- PNG


def png_chunks(data: bytes):
    """Yield (type, offset of data, length) per chunk; stops at IEND or the data's end."""
    pos, end = len(PNG_SIGNATURE), len(data)
    while pos + 8 <= end:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        start = pos + 8
        if length > 0x7FFFFFFF:
            raise corrupt("PNG", "a chunk length over 2 GiB")
        yield ctype, start, length
        if ctype == b"IEND":
            return
        pos = start + length + 4  # data and CRC


_TEXT_CHUNKS = frozenset({b"tEXt", b"zTXt", b"iTXt"})


def _png_header(data: bytes, limits: Limits) -> Header:
    """Walk every chunk: CRCs, the IHDR, palette, text and ICC sizes, the end chunk."""
    ihdr = None
    exif = None
    seen_palette = seen_data = seen_end = False
    text_total = inflated = 0
    inflater = zlib.decompressobj()
    view = memoryview(data)
    for chunks, (ctype, start, length) in enumerate(png_chunks(data), start=1):
        stop = start + length
        if stop + 4 > len(data):
            raise corrupt("PNG", "cut off inside a chunk")
        if chunks > limits.max_segments:
            raise _too_many_segments("PNG", "chunks", limits.max_segments)
        (crc,) = struct.unpack_from(">I", data, stop)
        payload = view[start:stop]
        if zlib.crc32(payload, zlib.crc32(ctype)) != crc:
            raise corrupt("PNG", f"the {ctype.decode('latin-1')} chunk fails its checksum")
        if ihdr is None:
            if ctype != b"IHDR" or length != 13:
                raise corrupt("PNG", "no image header first")
            ihdr = struct.unpack_from(">IIBBBBB", data, start)
            check_pixels(ihdr[0], ihdr[1], limits)
        elif ctype == b"IHDR" and length == 13:
            # Pillow would take a second header's size: bound it too.
            width, height = struct.unpack_from(">II", data, start)
            check_pixels(width, height, limits)
        elif ctype == b"PLTE":
            seen_palette = True
        elif ctype == b"IDAT":
            seen_data = True
            inflated += _inflate_counting(inflater, payload, png_raw_size(ihdr) - inflated)
        elif ctype == b"fdAT":
            seen_data = True
        elif ctype == b"IEND":
            seen_end = True
        elif ctype == b"eXIf":
            exif = bytes(payload)
        elif ctype in _TEXT_CHUNKS or ctype == b"iCCP":
            size = _inflated_size(ctype, bytes(payload), limits.max_text_chunk)
            what = "Its ICC profile" if ctype == b"iCCP" else "A text chunk"
            if size > limits.max_text_chunk:
                raise _metadata_too_large(
                    f"{what} ({ctype.decode()}) inflates", limits.max_text_chunk
                )
            if ctype != b"iCCP":
                text_total += size
                if text_total > limits.max_text_total:
                    raise _metadata_too_large("Its text chunks inflate", limits.max_text_total)
    if ihdr is None:
        raise corrupt("PNG", "no image header")
    width, height, bit_depth, colour_type, _, _, interlace = ihdr
    if (colour_type, bit_depth) not in PNG_BYTES_PER_PIXEL:
        raise corrupt("PNG", f"bit depth {bit_depth} with colour type {colour_type}")
    if width == 0 or height == 0:
        raise corrupt("PNG", "no pixels")
    if colour_type == 3 and not seen_palette:
        raise corrupt("PNG", "a palette image without its palette")
    if not seen_data or not seen_end:
        raise corrupt("PNG", "cut off before its end chunk")
    if inflated < png_raw_size(ihdr):
        # Pillow would fill the missing rows with black, and call it a success.
        raise corrupt("PNG", "its image data ends early")
    return Header(
        "PNG",
        width,
        height,
        bit_depth=bit_depth,
        colour_type=colour_type,
        interlaced=bool(interlace),
        exif=exif,
    )


# Inflate image data in pieces of this size: the output is counted and thrown away.
INFLATE_PIECE = 256 * 1024


def _inflate_counting(inflater, chunk: memoryview, wanted: int) -> int:
    """Inflate one IDAT chunk's share of the stream, keeping none of it; bytes made."""
    made = 0
    try:
        # Fed in slices: unconsumed_tail is a copy, so keep what it can hold small.
        for offset in range(0, len(chunk), INFLATE_PIECE):
            pending = chunk[offset : offset + INFLATE_PIECE]
            while pending and made < wanted:
                made += len(inflater.decompress(pending, INFLATE_PIECE))
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise corrupt("PNG", "its image data is not a valid zlib stream") from exc
    return made


def png_raw_size(ihdr: tuple[int, ...]) -> int:
    """Bytes of filtered scanlines the image data must inflate to."""
    width, height, bit_depth, colour_type, _, _, interlace = ihdr
    samples = _PNG_SAMPLES.get(colour_type, 4)
    bits = samples * bit_depth

    def size(w: int, h: int) -> int:
        return 0 if w <= 0 or h <= 0 else h * (1 + (w * bits + 7) // 8)

    if not interlace:
        return size(width, height)
    return sum(
        size(math.ceil((width - x0) / dx), math.ceil((height - y0) / dy))
        for x0, y0, dx, dy in _ADAM7
    )


_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 passes: (x0, y0, dx, dy).
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _metadata_too_large(what: str, limit: int) -> ImageRejected:
    return ImageRejected(
        f"{what} to more than {limit:,} bytes, the most that can be read safely. "
        "Save the image without the oversized metadata and upload it again.",
        code=ImageRejected.METADATA_TOO_LARGE,
    )


def _inflated_size(ctype: bytes, payload: bytes, limit: int) -> int:
    """The size Pillow would inflate a text or ICC chunk to, inflating at most limit + 1."""
    keyword_end = payload.find(b"\x00")
    if keyword_end < 0:
        return len(payload)
    if ctype == b"tEXt":
        return len(payload) - keyword_end - 1
    if ctype == b"iTXt":
        flags = payload[keyword_end + 1 : keyword_end + 3]
        rest = payload[keyword_end + 3 :]
        # language tag and translated keyword, each NUL-terminated
        for _ in range(2):
            nul = rest.find(b"\x00")
            rest = rest[nul + 1 :] if nul >= 0 else b""
        if flags[:1] != b"\x01":
            return len(rest)
        compressed = rest
    else:  # zTXt and iCCP: keyword, NUL, method byte, zlib stream
        compressed = payload[keyword_end + 2 :]
    inflater = zlib.decompressobj()
    try:
        return len(inflater.decompress(compressed, limit + 1))
    except zlib.error:
        return 0  # Pillow ignores a broken compressed text chunk


# (colour type, bit depth) pairs the PNG specification allows -> bytes per pixel in
# the image Pillow decodes into (it keeps RGB and two-band images in 4 bytes, and
# 16-bit grey as I;16; 16-bit colour becomes 8-bit).
PNG_BYTES_PER_PIXEL = {
    **{(0, d): 1 for d in (1, 2, 4, 8)},
    (0, 16): 2,
    **{(3, d): 1 for d in (1, 2, 4, 8)},
    **{(2, d): 4 for d in (8, 16)},
    **{(4, d): 4 for d in (8, 16)},
    **{(6, d): 4 for d in (8, 16)},
}
