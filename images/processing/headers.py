"""Identify and bound: format from the magic bytes, cost from the header walk, before decoding.

The walk reads every JPEG marker segment (skipping entropy-coded data with one regular
expression search per scan), every PNG chunk (checking its CRC), every GIF block,
every WebP chunk and every ISOBMFF box a HEIF or AVIF decoder would read. It is linear
in the file size, allocates nothing per pixel, and refuses a file as soon as a count
passes its limit, so a file built to make a decoder loop is refused in milliseconds.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from images.processing.errors import ImageRejected, corrupt, too_many_pixels
from images.processing.formats import accepted_formats
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
    # GIF, WebP, AVIF sequences: frames in the file (only the first is decoded).
    frames: int = 1
    # HEIF and AVIF: the primary item's tiles (a grid image) and its samples' depth.
    tiles: int = 1
    sample_bits: int = 8


# Signatures of formats we refuse, so the message can say what the file is.
_OTHER_FORMATS = (
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
            f"The file is empty. Choose an image ({accepted_formats()}) and upload it again.",
            code=ImageRejected.EMPTY,
        )
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_header(data, limits)
    if data.startswith(PNG_SIGNATURE):
        return _png_header(data, limits)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return _gif_header(data, limits)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_header(data, limits)
    if data[4:8] == b"ftyp":
        brands = _isobmff_brands(data)
        if brands & (_AVIF_BRANDS | _HEIF_BRANDS):
            return _isobmff_header(data, brands, limits)
    raise ImageRejected(
        f"This file is {_describe_other(data)}; only {accepted_formats()} images are "
        "accepted (the content is checked, not the file name). Convert it to one of "
        "those and upload it again.",
        code=ImageRejected.UNSUPPORTED_FORMAT,
    )


def _describe_other(data: bytes) -> str:
    if data[4:8] == b"ftyp":
        return "a video or ISO media file"
    for signature, name in _OTHER_FORMATS:
        if data.startswith(signature):
            return name
    head = data[:512].lstrip()
    if head[:5].lower() == b"<?xml" or b"<svg" in head.lower():
        return "an SVG or XML document"
    return "not an image of an accepted format"


def check_pixels(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise too_many_pixels(width, height, limits.max_pixels)


def check_frames(fmt: str, frames: int, limits: Limits) -> None:
    if frames > limits.max_frames:
        raise ImageRejected(
            f"The {fmt} has more than {limits.max_frames:,} frames (MAX_FRAMES); only the "
            "first one is used for thumbnails. Upload a still image, or a shorter "
            "animation.",
            code=ImageRejected.TOO_MANY_FRAMES,
        )


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
# (width, height, progressive, sampling) of a frame header.
_JpegFrame = tuple[int, int, bool, tuple[tuple[int, int], ...]]


@dataclass
class _JpegWalk:
    """What the segment walk has found so far."""

    frame: _JpegFrame | None = None
    segments: int = 0
    scans: int = 0


def _jpeg_header(data: bytes, limits: Limits) -> Header:
    """Walk every segment to the end of the image: frame size, sampling, scan count."""
    walk = _JpegWalk()
    pos: int | None = 2
    while pos is not None and pos < len(data) and data[pos] == 0xFF:
        pos = _jpeg_segment(data, pos, walk, limits)
    if walk.frame is None:
        raise corrupt("JPEG", "no frame header")
    width, height, progressive, sampling = walk.frame
    check_pixels(width, height, limits)
    return Header("JPEG", width, height, progressive, walk.scans, sampling)


def _jpeg_segment(data: bytes, pos: int, walk: _JpegWalk, limits: Limits) -> int | None:
    """Read the marker at ``pos`` and its segment; the next position, or None at the end."""
    marker, pos = _jpeg_marker(data, pos)
    if marker is None:
        return None
    if marker == 0x01 or 0xD0 <= marker <= 0xD7:
        return pos  # standalone markers carry no length
    length = _jpeg_length(data, pos, marker)
    if length is None:
        return None
    walk.segments += 1
    if walk.segments > limits.max_segments:
        raise _too_many_segments("JPEG", "marker segments", limits.max_segments)
    if marker in _JPEG_SOF:
        walk.frame = _jpeg_frame(data, pos, marker, walk.frame)
    if marker == 0xDA:
        return _jpeg_scan(data, pos + length, walk, limits)
    return pos + length


def _jpeg_marker(data: bytes, pos: int) -> tuple[int | None, int]:
    """The marker code at ``pos`` and the position after it (None past the data's end).

    Markers are 0xFF, any number of 0xFF fill bytes, then the marker code.
    """
    end = len(data)
    while pos < end and data[pos] == 0xFF:
        pos += 1
    if pos >= end:
        return None, pos
    return data[pos], pos + 1


def _jpeg_length(data: bytes, pos: int, marker: int) -> int | None:
    """The segment's length, or None where the walk ends: the end of the image
    (anything after it, e.g. an MPO's second frame, is unread), or a cut-off length."""
    if marker == 0xD9 or pos + 2 > len(data):
        return None
    (length,) = struct.unpack_from(">H", data, pos)
    return length if length >= 2 else None


def _jpeg_scan(data: bytes, pos: int, walk: _JpegWalk, limits: Limits) -> int | None:
    """Count a scan and skip its entropy-coded data: the next marker's position."""
    walk.scans += 1
    if walk.scans > limits.max_jpeg_scans:
        raise ImageRejected(
            f"The JPEG has more than {limits.max_jpeg_scans:,} scans, and each one "
            "costs a full pass over the image (ordinary progressive JPEGs have about "
            f"10; the limit is {limits.max_jpeg_scans:,}, MAX_JPEG_SCANS). Save it "
            "again as a baseline or ordinary progressive JPEG and upload it again.",
            code=ImageRejected.TOO_MANY_SCANS,
        )
    found = _NEXT_MARKER.search(data, pos)
    return None if found is None else found.start()  # None: cut off inside a scan


def _jpeg_frame(
    data: bytes, pos: int, marker: int, largest: _JpegFrame | None
) -> _JpegFrame | None:
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


class _Inflater(Protocol):
    """What the walk uses of a ``zlib.decompressobj()``."""

    def decompress(self, data: bytes | memoryview, /, max_length: int = ...) -> bytes: ...

    @property
    def unconsumed_tail(self) -> bytes: ...


@dataclass(frozen=True)
class _PngChunk:
    ctype: bytes
    start: int  # offset of its data
    payload: memoryview


@dataclass
class _PngWalk:
    """What the chunk walk has found after the image header."""

    ihdr: tuple[int, ...]  # width, height, bit depth, colour type, ..., interlace
    exif: bytes | None = None
    seen_palette: bool = False
    seen_data: bool = False
    seen_end: bool = False
    text_total: int = 0
    inflated: int = 0
    inflater: _Inflater = field(default_factory=zlib.decompressobj)


def _png_header(data: bytes, limits: Limits) -> Header:
    """Walk every chunk: CRCs, the IHDR, palette, text and ICC sizes, the end chunk."""
    walk: _PngWalk | None = None
    for chunk in _checked_png_chunks(data, limits):
        if walk is None:
            walk = _PngWalk(_png_first_header(data, chunk, limits))
        elif chunk.ctype in _PNG_CHUNKS:
            _PNG_CHUNKS[chunk.ctype](walk, chunk, limits)
    if walk is None:
        raise corrupt("PNG", "no image header")
    width, height, bit_depth, colour_type, _, _, interlace = walk.ihdr
    if (colour_type, bit_depth) not in PNG_BYTES_PER_PIXEL:
        raise corrupt("PNG", f"bit depth {bit_depth} with colour type {colour_type}")
    if width == 0 or height == 0:
        raise corrupt("PNG", "no pixels")
    _png_check_complete(walk)
    return Header(
        "PNG",
        width,
        height,
        bit_depth=bit_depth,
        colour_type=colour_type,
        interlaced=bool(interlace),
        exif=walk.exif,
    )


def _checked_png_chunks(data: bytes, limits: Limits) -> Iterator[_PngChunk]:
    """Every chunk, each whole, within the count limit and passing its CRC."""
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
        yield _PngChunk(ctype, start, payload)


def _png_first_header(data: bytes, chunk: _PngChunk, limits: Limits) -> tuple[int, ...]:
    if chunk.ctype != b"IHDR" or len(chunk.payload) != 13:
        raise corrupt("PNG", "no image header first")
    ihdr = struct.unpack_from(">IIBBBBB", data, chunk.start)
    check_pixels(ihdr[0], ihdr[1], limits)
    return ihdr


def _png_check_complete(walk: _PngWalk) -> None:
    """The chunks an image needs are there, and its image data inflates to every row."""
    if walk.ihdr[3] == 3 and not walk.seen_palette:
        raise corrupt("PNG", "a palette image without its palette")
    if not walk.seen_data or not walk.seen_end:
        raise corrupt("PNG", "cut off before its end chunk")
    if walk.inflated < png_raw_size(walk.ihdr):
        # Pillow would fill the missing rows with black, and call it a success.
        raise corrupt("PNG", "its image data ends early")


def _png_second_header(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    # Pillow would take a second header's size: bound it too.
    if len(chunk.payload) == 13:
        width, height = struct.unpack_from(">II", chunk.payload)
        check_pixels(width, height, limits)


def _png_palette(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    walk.seen_palette = True


def _png_image_data(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    walk.seen_data = True
    wanted = png_raw_size(walk.ihdr) - walk.inflated
    walk.inflated += _inflate_counting(walk.inflater, chunk.payload, wanted)


def _png_frame_data(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    walk.seen_data = True


def _png_end(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    walk.seen_end = True


def _png_exif(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    walk.exif = bytes(chunk.payload)


def _png_text_or_icc(walk: _PngWalk, chunk: _PngChunk, limits: Limits) -> None:
    """Bound what a text or ICC chunk inflates to, each and (text) all together."""
    ctype = chunk.ctype
    size = _inflated_size(ctype, bytes(chunk.payload), limits.max_text_chunk)
    what = "Its ICC profile" if ctype == b"iCCP" else "A text chunk"
    if size > limits.max_text_chunk:
        raise _metadata_too_large(f"{what} ({ctype.decode()}) inflates", limits.max_text_chunk)
    if ctype != b"iCCP":
        walk.text_total += size
        if walk.text_total > limits.max_text_total:
            raise _metadata_too_large("Its text chunks inflate", limits.max_text_total)


# What the walk does with each chunk type after the image header; others are skipped.
_PNG_CHUNKS: dict[bytes, Callable[[_PngWalk, _PngChunk, Limits], None]] = {
    b"IHDR": _png_second_header,
    b"PLTE": _png_palette,
    b"IDAT": _png_image_data,
    b"fdAT": _png_frame_data,
    b"IEND": _png_end,
    b"eXIf": _png_exif,
    **{ctype: _png_text_or_icc for ctype in (*_TEXT_CHUNKS, b"iCCP")},
}


# Inflate image data in pieces of this size: the output is counted and thrown away.
INFLATE_PIECE = 256 * 1024


def _inflate_counting(inflater: _Inflater, chunk: memoryview, wanted: int) -> int:
    """Inflate one IDAT chunk's share of the stream, keeping none of it; bytes made."""
    made = 0
    try:
        # Fed in slices: unconsumed_tail is a copy, so keep what it can hold small.
        for offset in range(0, len(chunk), INFLATE_PIECE):
            pending: bytes | memoryview = chunk[offset : offset + INFLATE_PIECE]
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


# ----------------------------------------------------------------------------- GIF


@dataclass
class _GifWalk:
    """What the block walk has found so far."""

    screen: tuple[int, int]  # the logical screen's width and height
    blocks: int = 0
    frames: int = 0
    first: tuple[int, int] | None = None  # the canvas the first frame is decoded onto


def _gif_header(data: bytes, limits: Limits) -> Header:
    """Walk every block: the logical screen, each frame's descriptor, the frame count.

    Pillow decodes the first frame onto a canvas the size of the logical screen, grown
    to hold the frame if it reaches beyond; both are bounded before it does.
    """
    end = len(data)
    if end < 13:
        raise corrupt("GIF", "no logical screen descriptor")
    screen_w, screen_h, packed = struct.unpack_from("<HHB", data, 6)
    check_pixels(screen_w, screen_h, limits)
    walk = _GifWalk((screen_w, screen_h))
    pos: int | None = 13 + _gif_colour_table(packed)
    while pos is not None and pos < end:
        pos = _gif_block(data, pos, walk, limits)
    if walk.first is None:
        raise corrupt("GIF", "no image in it")
    if walk.first[0] == 0 or walk.first[1] == 0:
        raise corrupt("GIF", "no pixels")
    return Header("GIF", walk.first[0], walk.first[1], frames=walk.frames)


def _gif_colour_table(flags: int) -> int:
    """Bytes of the colour table a screen or image descriptor's flags announce."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _gif_block(data: bytes, pos: int, walk: _GifWalk, limits: Limits) -> int | None:
    """Read the block at ``pos``: the position after it, or None where the walk ends."""
    introducer = data[pos]
    if introducer == 0x3B:  # trailer
        return None
    walk.blocks += 1
    if walk.blocks > limits.max_segments:
        raise _too_many_segments("GIF", "blocks", limits.max_segments)
    if introducer == 0x21:  # extension: label, then data sub-blocks
        return _gif_sub_blocks(data, pos + 2)
    if introducer == 0x2C:  # image descriptor
        return _gif_image(data, pos, walk, limits)
    return None  # garbage after the frames: decoders stop here too


def _gif_image(data: bytes, pos: int, walk: _GifWalk, limits: Limits) -> int | None:
    """Count a frame, bounding the first one's canvas; the position after its data."""
    end = len(data)
    if pos + 10 > end:
        return None
    left, top, width, height, flags = struct.unpack_from("<HHHHB", data, pos + 1)
    walk.frames += 1
    check_frames("GIF", walk.frames, limits)
    pos += 10 + _gif_colour_table(flags)
    pos = _gif_sub_blocks(data, pos + 1)  # after the LZW minimum code size
    if walk.first is None:
        if pos > end:
            raise corrupt("GIF", "its first frame is cut off")
        screen_w, screen_h = walk.screen
        walk.first = (max(screen_w, left + width), max(screen_h, top + height))
        check_pixels(*walk.first, limits)
    return pos


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    """The position after a chain of data sub-blocks (past the end if it is cut off)."""
    end = len(data)
    while pos < end:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return end + 1


# ---------------------------------------------------------------------------- WebP


@dataclass(frozen=True)
class _RiffChunk:
    fourcc: bytes
    start: int  # offset of its data
    length: int


@dataclass
class _WebpWalk:
    """What the chunk walk has found so far."""

    chunks: int = 0
    frames: int = 0
    size: tuple[int, int] | None = None  # of the (first) bitstream
    canvas: tuple[int, int] | None = None  # of the VP8X header
    exif: bytes | None = None


def _webp_header(data: bytes, limits: Limits) -> Header:
    """Walk every RIFF chunk: the canvas (VP8X) or bitstream size, frames, EXIF."""
    end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    walk = _WebpWalk()
    pos = 12
    while pos + 8 <= end:
        pos = _webp_chunk(data, pos, end, walk, limits)
    width, height = walk.canvas or walk.size or (0, 0)
    if not width or not height:
        raise corrupt("WebP", "no image in it")
    return Header("WEBP", width, height, exif=walk.exif, frames=max(walk.frames, 1))


def _webp_chunk(data: bytes, pos: int, end: int, walk: _WebpWalk, limits: Limits) -> int:
    """Check and read the chunk at ``pos``; the position of the next one."""
    fourcc, length = struct.unpack_from("<4sI", data, pos)
    start = pos + 8
    walk.chunks += 1
    if walk.chunks > limits.max_segments:
        raise _too_many_segments("WebP", "chunks", limits.max_segments)
    if start + length > end:
        raise corrupt("WebP", f"cut off inside its {fourcc.decode('latin-1')} chunk")
    if fourcc in _WEBP_CHUNKS:
        _WEBP_CHUNKS[fourcc](walk, _RiffChunk(fourcc, start, length), data, limits)
    return start + length + (length & 1)


def _webp_canvas(walk: _WebpWalk, chunk: _RiffChunk, data: bytes, limits: Limits) -> None:
    if chunk.length >= 10 and walk.canvas is None:
        walk.canvas = (_u24(data, chunk.start + 4) + 1, _u24(data, chunk.start + 7) + 1)
        check_pixels(*walk.canvas, limits)


def _webp_bitstream(walk: _WebpWalk, chunk: _RiffChunk, data: bytes, limits: Limits) -> None:
    if walk.size is None:
        head = data[chunk.start : chunk.start + min(chunk.length, 10)]
        walk.size = _webp_bitstream_size(chunk.fourcc, head)
        check_pixels(*walk.size, limits)


def _webp_frame(walk: _WebpWalk, chunk: _RiffChunk, data: bytes, limits: Limits) -> None:
    if chunk.length >= 16:
        walk.frames += 1
        check_frames("WebP", walk.frames, limits)
        check_pixels(_u24(data, chunk.start + 6) + 1, _u24(data, chunk.start + 9) + 1, limits)


def _webp_exif(walk: _WebpWalk, chunk: _RiffChunk, data: bytes, limits: Limits) -> None:
    walk.exif = data[chunk.start : chunk.start + chunk.length]


# What the walk reads of each chunk type; others are skipped.
_WEBP_CHUNKS: dict[bytes, Callable[[_WebpWalk, _RiffChunk, bytes, Limits], None]] = {
    b"VP8X": _webp_canvas,
    b"VP8 ": _webp_bitstream,
    b"VP8L": _webp_bitstream,
    b"ANMF": _webp_frame,
    b"EXIF": _webp_exif,
}


def _u24(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 3], "little")


def _webp_bitstream_size(fourcc: bytes, head: bytes) -> tuple[int, int]:
    if fourcc == b"VP8 ":
        if len(head) < 10 or head[3:6] != b"\x9d\x01\x2a":
            raise corrupt("WebP", "a lossy bitstream without its start code")
        width, height = struct.unpack_from("<HH", head, 6)
        return width & 0x3FFF, height & 0x3FFF
    if len(head) < 5 or head[0] != 0x2F:
        raise corrupt("WebP", "a lossless bitstream without its signature")
    bits = int.from_bytes(head[1:5], "little")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


# --------------------------------------------------------------------- HEIF, AVIF

_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# Boxes whose children the walk reads (the ones that describe items and their properties).
_CONTAINERS = frozenset(
    {b"meta", b"iprp", b"ipco", b"iinf", b"iref", b"moov", b"trak", b"mdia", b"minf", b"stbl"}
)
_FULL_BOXES = frozenset({b"meta", b"iinf", b"iref"})


def _isobmff_brands(data: bytes) -> frozenset[bytes]:
    size = struct.unpack_from(">I", data, 0)[0] if len(data) >= 16 else 0
    body = data[8 : min(size, len(data), 8 + 4 * 64)]
    return frozenset(body[i : i + 4] for i in range(0, len(body) - 3, 4) if i != 4)


@dataclass
class _BoxWalk:
    """The box walk's input, its box count, and what it collects from the meta box
    (item ids are plain ints)."""

    data: bytes
    limits: Limits
    label: str  # the format as messages name it
    boxes: int = 0
    primary: int | None = None
    types: dict[int, bytes] = field(default_factory=dict)
    properties: list[tuple[bytes, bytes]] = field(default_factory=list)  # ipco, from 1
    associations: dict[int, list[int]] = field(default_factory=dict)  # item -> properties
    derived: dict[int, list[int]] = field(default_factory=dict)  # dimg: item -> its tiles
    sequence_frames: int = 0


def _boxes(walk: _BoxWalk, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, payload end) of each box between start and end."""
    data, fmt, limits = walk.data, walk.label, walk.limits
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise corrupt(fmt, "cut off inside a box header")
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise corrupt(fmt, f"a {kind.decode('latin-1')} box runs past its end")
        walk.boxes += 1
        if walk.boxes > limits.max_segments:
            raise _too_many_segments(fmt, "boxes", limits.max_segments)
        yield kind, pos + header, pos + size
        pos += size


def _isobmff_header(data: bytes, brands: frozenset[bytes], limits: Limits) -> Header:
    """Walk the boxes that describe the primary item: its size, tiles and sample depth.

    The primary item's ``ispe`` gives the stored size (a grid's is the whole image); a
    grid (or overlay) lists its tiles as ``dimg`` references, each a separately decoded
    image with its own ``ispe``. An image sequence's ``stsz`` counts its frames.
    """
    fmt = "AVIF" if brands & _AVIF_BRANDS else "HEIF"
    label = "AVIF" if fmt == "AVIF" else "HEIC"
    walk = _BoxWalk(data, limits, label)
    _walk(walk, 0, len(data), depth=0)
    if walk.sequence_frames:
        check_frames(label, walk.sequence_frames, limits)
    if walk.primary is None or walk.primary not in walk.types:
        raise corrupt(label, "no primary image")
    primary = walk.primary
    item_type = walk.types[primary]
    if fmt == "HEIF" and item_type == b"av01":
        fmt, label = "AVIF", "AVIF"
    width, height = _ispe(walk, primary, label)
    check_pixels(width, height, limits)
    tiles = walk.derived.get(primary, []) if item_type in (b"grid", b"iovl", b"iden") else []
    if len(tiles) > limits.max_tiles:
        raise _too_many_tiles(label, len(tiles), limits)
    # Every tile is decoded in full: together they must fit the pixel limit too.
    tile_pixels = 0
    for tile in tiles:
        tile_w, tile_h = _ispe(walk, tile, label)
        tile_pixels += tile_w * tile_h
        if tile_pixels > limits.max_pixels:
            raise too_many_pixels(width, height, limits.max_pixels)
    bits = max([_sample_bits(walk, item) for item in [primary, *tiles]] or [8])
    return Header(
        fmt,
        width,
        height,
        frames=max(1, walk.sequence_frames),
        tiles=max(1, len(tiles)),
        sample_bits=bits,
    )


def _too_many_tiles(label: str, count: int, limits: Limits) -> ImageRejected:
    return ImageRejected(
        f"The {label} image is made of {count:,} tiles; the limit is "
        f"{limits.max_tiles:,} (MAX_TILES), and cameras use a few hundred at most. "
        "Save it again with an ordinary image editor and upload it again.",
        code=ImageRejected.TOO_MANY_TILES,
    )


def _walk(walk: _BoxWalk, start: int, end: int, depth: int) -> None:
    """Read the boxes between start and end, descending into the ones that hold items."""
    if depth > 8:
        raise corrupt(walk.label, "boxes nested too deep")
    for kind, body, stop in _boxes(walk, start, end):
        if kind in _CONTAINERS:
            _container(walk, kind, body, stop, depth)
        elif kind in _BOX_PARSERS:
            _BOX_PARSERS[kind](walk, body, stop)


def _container(walk: _BoxWalk, kind: bytes, body: int, stop: int, depth: int) -> None:
    if kind == b"iref":
        _iref(walk, body, stop)
    elif kind == b"ipco":
        walk.properties.extend((k, walk.data[b:s]) for k, b, s in _boxes(walk, body, stop))
    else:
        skip = 4 if kind in _FULL_BOXES else 0
        if kind == b"iinf":
            skip += 2 if body < stop and walk.data[body] == 0 else 4
        _walk(walk, body + skip, stop, depth + 1)


def _pitm(walk: _BoxWalk, body: int, stop: int) -> None:
    if stop - body >= 6:
        id_format = ">H" if walk.data[body] == 0 else ">I"
        walk.primary = struct.unpack_from(id_format, walk.data, body + 4)[0]


def _infe(walk: _BoxWalk, body: int, stop: int) -> None:
    version = walk.data[body] if stop - body >= 12 else 0
    if version >= 2:
        entry = ">H2x4s" if version == 2 else ">I2x4s"
        item_id, item_type = struct.unpack_from(entry, walk.data, body + 4)
        walk.types[item_id] = item_type


def _stsz(walk: _BoxWalk, body: int, stop: int) -> None:
    if stop - body >= 12:
        frames = struct.unpack_from(">I", walk.data, body + 8)[0]
        walk.sequence_frames = max(walk.sequence_frames, frames)


def _iref(walk: _BoxWalk, body: int, stop: int) -> None:
    data, label, limits = walk.data, walk.label, walk.limits
    wide = data[body] != 0 if body < stop else False
    id_format = ">I" if wide else ">H"
    id_size = 4 if wide else 2
    for kind, start, end in _boxes(walk, body + 4, stop):
        if kind != b"dimg" or end - start < id_size + 2:
            continue
        source = struct.unpack_from(id_format, data, start)[0]
        (count,) = struct.unpack_from(">H", data, start + id_size)
        if count > limits.max_tiles:
            raise _too_many_tiles(label, count, limits)
        first = start + id_size + 2
        if first + count * id_size > end:
            raise corrupt(label, "a tile list runs past its box")
        walk.derived[source] = [
            struct.unpack_from(id_format, data, first + i * id_size)[0] for i in range(count)
        ]


def _ipma(walk: _BoxWalk, body: int, stop: int) -> None:
    data, label, limits = walk.data, walk.label, walk.limits
    if stop - body < 8:
        return
    version, flags = data[body], int.from_bytes(data[body + 1 : body + 4], "big")
    (count,) = struct.unpack_from(">I", data, body + 4)
    if count > limits.max_segments:
        raise _too_many_segments(label, "items", limits.max_segments)
    pos = body + 8
    for _ in range(count):
        id_size = 2 if version < 1 else 4
        if pos + id_size + 1 > stop:
            raise corrupt(label, "cut off inside its property associations")
        item = int.from_bytes(data[pos : pos + id_size], "big")
        pos += id_size
        n = data[pos]
        pos += 1
        width = 2 if flags & 1 else 1
        if pos + n * width > stop:
            raise corrupt(label, "cut off inside its property associations")
        mask = 0x7FFF if width == 2 else 0x7F
        walk.associations[item] = [
            int.from_bytes(data[pos + i * width : pos + (i + 1) * width], "big") & mask
            for i in range(n)
        ]
        pos += n * width


# Boxes read for what they say (the walk descends into _CONTAINERS); others are skipped.
_BOX_PARSERS: dict[bytes, Callable[[_BoxWalk, int, int], None]] = {
    b"pitm": _pitm,
    b"infe": _infe,
    b"ipma": _ipma,
    b"stsz": _stsz,
}


def _item_properties(walk: _BoxWalk, item: int) -> Iterator[tuple[bytes, bytes]]:
    for index in walk.associations.get(item, []):
        if 1 <= index <= len(walk.properties):
            yield walk.properties[index - 1]


def _ispe(walk: _BoxWalk, item: int, label: str) -> tuple[int, int]:
    for kind, payload in _item_properties(walk, item):
        if kind == b"ispe" and len(payload) >= 12:
            width, height = struct.unpack_from(">II", payload, 4)
            if width and height:
                return width, height
    raise corrupt(label, "an image without its size (ispe)")


def _sample_bits(walk: _BoxWalk, item: int) -> int:
    for kind, payload in _item_properties(walk, item):
        if kind == b"pixi" and len(payload) >= 6 and payload[4]:
            return max(payload[5 : 5 + payload[4]] or b"\x08")
    return 8
