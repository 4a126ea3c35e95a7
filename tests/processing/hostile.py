"""Hostile images, built by hand: files crafted to be slow, huge or undecodable.

Each is a real file an attacker can send. The processing tests refuse them, the API
tests upload them, and ``make bench`` measures what the worst of them cost.
"""

from __future__ import annotations

import io
import math
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


# ------------------------------------------------------------------------------ GIF


def _gif_parts(data: bytes) -> tuple[bytes, list[bytes]]:
    """(header, logical screen and global palette; [each block up to the trailer])."""
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    head, blocks = data[:pos], []
    while data[pos] != 0x3B:
        start = pos
        if data[pos] == 0x2C:
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        else:
            pos += 2
        while data[pos]:
            pos += 1 + data[pos]
        pos += 1
        blocks.append(data[start:pos])
    return head, blocks


def gif_frames(frames: int = 10_000) -> bytes:
    """An animated 8x8 GIF of ``frames`` frames (about 30 bytes each)."""
    out = io.BytesIO()
    img = Image.new("P", (8, 8), 1)
    img.putpalette([0, 0, 0, 255, 0, 0])
    other = img.copy()
    other.putpixel((0, 0), 0)
    img.save(out, "GIF", save_all=True, append_images=[other], duration=10, loop=0)
    head, blocks = _gif_parts(out.getvalue())
    frame = [b for b in blocks if b[0] == 0x2C][-1]
    extensions = [b for b in blocks if b[0] == 0x21]
    return head + b"".join(extensions[:1]) + frame * frames + b";"


def gif_screen(width: int = 65_535, height: int = 65_535) -> bytes:
    """A 1x1 GIF whose logical screen (the canvas it is drawn on) is ``width``x``height``."""
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, "GIF")
    data = bytearray(out.getvalue())
    struct.pack_into("<HH", data, 6, width, height)
    return bytes(data)


def gif_and_html() -> bytes:
    """A valid GIF that is also an HTML page (the markup follows the trailer)."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 255)).save(out, "GIF")
    return out.getvalue() + b"<html><script>alert(document.domain)</script></html>"


# ----------------------------------------------------------------------------- WebP


def _riff_chunks(data: bytes) -> list[bytes]:
    pos, chunks = 12, []
    while pos + 8 <= len(data):
        length = struct.unpack_from("<I", data, pos + 4)[0]
        size = 8 + length + (length & 1)
        chunks.append(data[pos : pos + size])
        pos += size
    return chunks


def _riff(chunks: list[bytes]) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_frames(frames: int = 5_000) -> bytes:
    """An animated 8x8 WebP of ``frames`` frames."""
    out = io.BytesIO()
    first, second = Image.new("RGB", (8, 8), "red"), Image.new("RGB", (8, 8), "blue")
    first.save(out, "WEBP", save_all=True, append_images=[second], lossless=True, duration=10)
    chunks = _riff_chunks(out.getvalue())
    frame = next(c for c in chunks if c[:4] == b"ANMF")
    rest = [c for c in chunks if c[:4] != b"ANMF"]
    return _riff(rest[:2] + [frame] * frames + rest[2:])


def webp_claiming(width: int = 100_000, height: int = 100_000) -> bytes:
    """A small WebP whose extended header (VP8X) declares a ``width``x``height`` canvas."""
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (1, 2, 3, 4)).save(out, "WEBP", lossless=True)
    chunks = _riff_chunks(out.getvalue())
    vp8x = bytearray(b"VP8X" + struct.pack("<I", 10) + bytes(10))
    vp8x[8] = 0x10  # alpha
    vp8x[12:15] = (width - 1).to_bytes(3, "little")
    vp8x[15:18] = (height - 1).to_bytes(3, "little")
    return _riff([bytes(vp8x), *[c for c in chunks if c[:4] != b"VP8X"]])


# ------------------------------------------------------------------------ HEIF, AVIF


def claiming_isobmff(data: bytes, width: int = 100_000, height: int = 100_000) -> bytes:
    """The HEIC or AVIF with every image size property (ispe) declaring another size."""
    out = bytearray(data)
    pos = out.find(b"ispe")
    while pos >= 0:
        struct.pack_into(">II", out, pos + 8, width, height)
        pos = out.find(b"ispe", pos + 4)
    return bytes(out)


def _box(kind: bytes, payload: bytes, full: tuple[int, int] | None = None) -> bytes:
    if full is not None:
        payload = bytes([full[0]]) + full[1].to_bytes(3, "big") + payload
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def heif_grid(tiles: int = 5_000, tile: int = 512) -> bytes:
    """A HEIF whose primary image is a grid of ``tiles`` tiles, declared in its boxes.

    No tile carries data: the file only has to get as far as a decoder reading the
    tile list would go.
    """
    side = math.ceil(math.sqrt(tiles))
    ids = range(2, tiles + 2)
    ftyp = _box(b"ftyp", b"heic" + bytes(4) + b"mif1heic")
    hdlr = _box(b"hdlr", bytes(4) + b"pict" + bytes(12) + b"\x00", (0, 0))
    pitm = _box(b"pitm", struct.pack(">H", 1), (0, 0))
    infe = [_box(b"infe", struct.pack(">HH", 1, 0) + b"grid\x00", (2, 0))]
    infe += [_box(b"infe", struct.pack(">HH", i, 0) + b"hvc1\x00", (2, 0)) for i in ids]
    iinf = _box(b"iinf", struct.pack(">H", len(infe)) + b"".join(infe), (0, 0))
    dimg = _box(b"dimg", struct.pack(">HH", 1, tiles) + b"".join(struct.pack(">H", i) for i in ids))
    iref = _box(b"iref", dimg, (0, 0))
    ispe_grid = _box(b"ispe", struct.pack(">II", side * tile, side * tile), (0, 0))
    ispe_tile = _box(b"ispe", struct.pack(">II", tile, tile), (0, 0))
    ipco = _box(b"ipco", ispe_grid + ispe_tile)
    entries = struct.pack(">HBB", 1, 1, 1) + b"".join(struct.pack(">HBB", i, 1, 2) for i in ids)
    ipma = _box(b"ipma", struct.pack(">I", tiles + 1) + entries, (0, 0))
    iprp = _box(b"iprp", ipco + ipma)
    meta = _box(b"meta", hdlr + pitm + iinf + iref + iprp, (0, 0))
    return ftyp + meta + _box(b"mdat", b"")
