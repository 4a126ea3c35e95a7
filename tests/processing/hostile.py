"""Hostile images, built by hand: files crafted to be slow, huge or undecodable.

Each is a real file an attacker can send. The processing tests refuse them, the API
tests upload them, and ``make bench`` measures what the worst of them cost.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from .factories import png_chunk

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------- PNG


def ihdr(width: int, height: int, bit_depth: int = 8, colour_type: int = 0) -> bytes:
    return struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)


def png(ihdr_payload: bytes, *chunks: tuple[bytes, bytes], rows: bytes) -> bytes:
    """A PNG: IHDR, then ``chunks`` (type, payload) before the image data, then IDAT."""
    out = PNG_SIGNATURE + png_chunk(b"IHDR", ihdr_payload)
    for ctype, payload in chunks:
        out += png_chunk(ctype, payload)
    return out + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b"")


def grey_rows(width: int, height: int, filter_type: int = 0) -> bytes:
    return (bytes([filter_type]) + bytes(width)) * height


def png_bad_filter_byte() -> bytes:
    """An 8-bit grey PNG whose scanlines use filter type 5 (only 0-4 exist)."""
    return png(ihdr(16, 16), rows=grey_rows(16, 16, filter_type=5))


def png_palette_without_plte() -> bytes:
    """Colour type 3 (palette) and no PLTE chunk: the indices point at nothing."""
    return png(ihdr(16, 16, 8, 3), rows=grey_rows(16, 16))


def png_iccp_bomb(inflated: int = 30 * 1024 * 1024) -> bytes:
    """An iCCP chunk of ~30 KB that inflates to a 30 MB 'profile'."""
    payload = b"icc\x00\x00" + zlib.compress(bytes(inflated), 9)
    return png(ihdr(16, 16), (b"iCCP", payload), rows=grey_rows(16, 16))


def png_ztxt_bomb(chunks: int = 70, each: int = 1000 * 1024) -> bytes:
    """Many zTXt chunks, each just under Pillow's 1 MiB text chunk limit, ~70 MB in all."""
    text = zlib.compress(b"A" * each, 9)
    chunk = (b"zTXt", b"Comment\x00\x00" + text)
    return png(ihdr(16, 16), *([chunk] * chunks), rows=grey_rows(16, 16))


def png_text_chunk_over_limit(size: int = 2 * 1024 * 1024) -> bytes:
    """One compressed text chunk (zTXt) inflating past Pillow's MAX_TEXT_CHUNK (1 MiB)."""
    payload = b"Comment\x00\x00" + zlib.compress(b"B" * size, 9)
    return png(ihdr(16, 16), (b"zTXt", payload), rows=grey_rows(16, 16))


def png_itxt_over_limit(size: int = 2 * 1024 * 1024) -> bytes:
    """A compressed iTXt chunk inflating past MAX_TEXT_CHUNK."""
    payload = b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(b"C" * size, 9)
    return png(ihdr(16, 16), (b"iTXt", payload), rows=grey_rows(16, 16))


def _fctl(seq: int, width: int, height: int) -> bytes:
    return struct.pack(">IIIIIHHBB", seq, width, height, 0, 0, 1, 10, 0, 0)


def apng_frame_sequence_error() -> bytes:
    """An APNG whose second frame control chunk skips sequence numbers (0, then 5)."""
    frame = zlib.compress(grey_rows(16, 16))
    out = PNG_SIGNATURE + png_chunk(b"IHDR", ihdr(16, 16))
    out += png_chunk(b"acTL", struct.pack(">II", 2, 0))
    out += png_chunk(b"fcTL", _fctl(0, 16, 16))
    out += png_chunk(b"fcTL", _fctl(5, 16, 16))
    out += png_chunk(b"IDAT", frame)
    out += png_chunk(b"fdAT", struct.pack(">I", 6) + frame)
    return out + png_chunk(b"IEND", b"")


def png_16bit_grey(width: int = 8660, height: int = 5773) -> bytes:
    """A 16-bit grey PNG of ~50 MP that compresses to ~100 KB (a smooth ramp)."""
    row = b"\x00" + b"".join(struct.pack(">H", (x * 7) & 0xFFFF) for x in range(width))
    packer = zlib.compressobj(9)
    parts = [packer.compress(row) for _ in range(height)]
    parts.append(packer.flush())
    out = PNG_SIGNATURE + png_chunk(b"IHDR", ihdr(width, height, 16, 0))
    out += png_chunk(b"IDAT", b"".join(parts))
    return out + png_chunk(b"IEND", b"")


# ------------------------------------------------------------------------------ JPEG


def jpeg_scans(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """Split a JPEG into (everything before the first SOS, [each scan], the EOI)."""
    pos = 2
    while True:
        marker = data[pos + 1]
        if marker == 0xDA:
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    head, scans = data[:pos], []
    while data[pos + 1] != 0xD9:
        start = pos
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
        # Entropy-coded data runs to the next marker that is not a stuffed 0xFF00
        # or a restart marker.
        while not (data[pos] == 0xFF and data[pos + 1] not in (0x00, *range(0xD0, 0xD8))):
            pos += 1
        if data[pos + 1] == 0xC4:  # a DHT between scans belongs to the next scan
            (length,) = struct.unpack_from(">H", data, pos + 2)
            pos += 2 + length
        scans.append(data[start:pos])
    return head, scans, data[pos:]


def scan_bomb(size: int = 7070, repeats: int = 20_000) -> bytes:
    """A progressive grey JPEG whose last AC scan is repeated ``repeats`` times.

    libjpeg reads each repeat over the whole coefficient buffer: ~3 ms per repeat at
    50 MP, so 20,000 repeats (2 MB of file) are minutes of CPU.
    """
    out = io.BytesIO()
    Image.new("L", (size, size), 128).save(out, "JPEG", progressive=True, quality=90)
    head, scans, tail = jpeg_scans(out.getvalue())
    return head + b"".join(scans) + scans[-1] * repeats + tail


def progressive_jpeg(mode: str, width: int, height: int, **save) -> bytes:
    """A progressive RGB or CMYK JPEG of a smooth gradient: little detail, so even at
    ~50 MP the file is small while its decode is as costly as any."""
    grey = Image.linear_gradient("L").resize((width, height))
    mirrored = grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    bands = {"RGB": (grey, mirrored, grey), "CMYK": (grey, mirrored, grey, grey)}[mode]
    out = io.BytesIO()
    Image.merge(mode, bands).save(out, "JPEG", progressive=True, quality=80, **save)
    return out.getvalue()


def progressive_444(width: int = 8660, height: int = 5773) -> bytes:
    """A progressive 4:4:4 colour JPEG of ~50 MP with little detail (small file)."""
    return progressive_jpeg("RGB", width, height, subsampling=0)


def progressive_cmyk(width: int = 8660, height: int = 5773) -> bytes:
    """A progressive CMYK JPEG of ~50 MP (four full-size components)."""
    return progressive_jpeg("CMYK", width, height)


def progressive_420(width: int = 8660, height: int = 5773) -> bytes:
    """A progressive 4:2:0 colour JPEG of ~50 MP: the common camera layout, progressive."""
    return progressive_jpeg("RGB", width, height, subsampling=2)


def scan_bomb_within_limit(max_scans: int = 32) -> bytes:
    """The costliest scan count the default limit lets through, on a 50 MP grey image."""
    out = io.BytesIO()
    Image.new("L", (7070, 7070), 128).save(out, "JPEG", progressive=True, quality=90)
    head, scans, tail = jpeg_scans(out.getvalue())
    return head + b"".join(scans) + scans[-1] * (max_scans - len(scans)) + tail


def palette_png_50mp(width: int = 8660, height: int = 5773) -> bytes:
    """A ~50 MP palette PNG with a transparent entry: 1 byte per pixel decoded, 4 after
    conversion to RGBA, so the conversion is where the memory goes."""
    img = Image.linear_gradient("L").resize((width, height)).convert("P")
    out = io.BytesIO()
    img.save(out, "PNG", transparency=0, compress_level=1)
    return out.getvalue()


def claiming(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with its frame header claiming another size: what the header walk sees.

    Cheap stand-ins for huge files in tests of refusals made before decoding (``make
    bench`` uses real ones).
    """
    out = bytearray(data)
    pos = 2
    while out[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + struct.unpack_from(">H", out, pos + 2)[0]
    struct.pack_into(">HH", out, pos + 5, height, width)
    return bytes(out)


def rgba_png_50mp(width: int = 8660, height: int = 5773) -> bytes:
    """A ~50 MP 8-bit RGBA PNG: the largest pixel buffer (4 bytes a pixel) within limits."""
    grey = Image.linear_gradient("L").resize((width, height))
    flipped = grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    img = Image.merge("RGBA", (grey, flipped, grey, flipped))
    out = io.BytesIO()
    img.save(out, "PNG", compress_level=1)
    return out.getvalue()
