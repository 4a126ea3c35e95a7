"""A mutation fuzzer of our own: valid images of every accepted format, damaged in the ways
files get damaged.

``mutants(count, seed)`` yields ``Mutant(name, data)``: the same list for the same
arguments (every choice comes from ``random.Random(seed)``), so a failure names a mutant
that can be rebuilt by hand. The mutations are structural where a byte flip would only
hit a checksum: JPEG segments and scans are dropped, repeated, reordered or given wrong
lengths; PNG chunks are dropped, repeated, given bad CRCs, wrong lengths, or edited
*with* their CRC fixed, so the damage reaches the decoder. WebP chunks, GIF blocks and
HEIF/AVIF boxes are dropped, repeated or given wrong lengths; every format also gets
truncations, bit flips and overwritten bytes.

``check(data, heights)`` is the property every mutant must have: refused with
:class:`ImageRejected` by both validation and rendering, or accepted by validation and
then rendered at every height into images that decode. Anything else (another
exception, a disagreement) raises AssertionError or the exception itself.
"""

from __future__ import annotations

import io
import json
import random
import struct
import sys
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from PIL import Image

from images.processing import ImageRejected, Limits, decode, inspect, render_thumbnails

from .factories import encode, exif_bytes, heic, interlaced_png, photo_like, png_chunk
from .hostile import png_16bit_grey

# Limits small enough that mutants claiming large sizes are refused cheaply, large
# enough for every seed image.
LIMITS = Limits(max_pixels=4_000_000, max_decode_bytes=64 * 1024 * 1024)


@dataclass(frozen=True)
class Mutant:
    name: str
    data: bytes


# ------------------------------------------------------------------------ the seeds


@cache
def seeds() -> dict[str, bytes]:
    """Small valid images covering the decoder paths: every JPEG and PNG flavour we take."""
    photo = photo_like((96, 64), seed=3)
    rgba = photo.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize((96, 64)))
    return {
        "jpeg-baseline": encode(photo, "JPEG", quality=80, exif=exif_bytes(orientation=6)),
        "jpeg-progressive": encode(photo, "JPEG", quality=80, progressive=True),
        "jpeg-444-restarts": encode(photo, "JPEG", subsampling=0, restart_marker_blocks=4),
        "jpeg-grey-progressive": encode(photo.convert("L"), "JPEG", progressive=True),
        "jpeg-cmyk": encode(photo.convert("CMYK"), "JPEG", quality=80),
        "png-rgb": encode(photo, "PNG"),
        "png-rgba": encode(rgba, "PNG"),
        "png-palette-trns": encode(photo.convert("P"), "PNG", transparency=3),
        "png-grey16": png_16bit_grey(40, 30),
        "png-interlaced": interlaced_png(photo.resize((33, 21))),
        "png-exif-text-icc": encode(
            photo, "PNG", exif=exif_bytes(orientation=8), icc_profile=b"\x00" * 200
        ),
        "heic": heic(photo, exif=exif_bytes(orientation=6)),
        "heic-alpha": heic(rgba),
        "avif": encode(photo, "AVIF", exif=exif_bytes(orientation=6), speed=9),
        "avif-alpha": encode(rgba, "AVIF", speed=9),
        "webp-lossy": encode(photo, "WEBP", exif=exif_bytes(orientation=3)),
        "webp-alpha": encode(rgba, "WEBP", lossless=True),
        "webp-animated": encode(
            photo, "WEBP", save_all=True, append_images=[rgba], duration=40, lossless=True
        ),
        "gif": encode(photo.convert("P"), "GIF"),
        "gif-animated": encode(
            photo.convert("P"), "GIF", save_all=True, append_images=[rgba], transparency=0
        ),
    }


# ---------------------------------------------------------------------- JPEG structure


def jpeg_parts(data: bytes) -> list[bytes]:
    """SOI, each segment (a scan with its entropy-coded data), and what follows the last."""
    parts, pos = [data[:2]], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if marker == 0xDA:
            while end + 1 < len(data) and not (
                data[end] == 0xFF and data[end + 1] not in (0x00, 0xFF, *range(0xD0, 0xD8))
            ):
                end += 1
        parts.append(data[pos:end])
        pos = end
    parts.append(data[pos:])
    return parts


def _segments(parts: list[bytes]) -> range:
    return range(1, len(parts) - 1)


def jpeg_drop_segment(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = jpeg_parts(data)
    i = rng.choice(_segments(parts))
    return f"drop segment {parts[i][1]:02X}", b"".join(parts[:i] + parts[i + 1 :])


def jpeg_repeat_segment(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = jpeg_parts(data)
    i = rng.choice(_segments(parts))
    times = rng.choice([2, 3, 40])
    return (
        f"repeat segment {parts[i][1]:02X} x{times}",
        b"".join(parts[:i] + [parts[i]] * times + parts[i + 1 :]),
    )


def jpeg_swap_segments(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = jpeg_parts(data)
    i, j = sorted(rng.sample(_segments(parts), 2))
    parts[i], parts[j] = parts[j], parts[i]
    return f"swap segments {i} and {j}", b"".join(parts)


def jpeg_bad_length(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = jpeg_parts(data)
    i = rng.choice(_segments(parts))
    segment = bytearray(parts[i])
    (length,) = struct.unpack_from(">H", segment, 2)
    new = rng.choice([0, 1, 2, length - 1, length + 1, length + 100, 0xFFFF])
    struct.pack_into(">H", segment, 2, max(0, min(new, 0xFFFF)))
    parts[i] = bytes(segment)
    return f"segment {parts[i][1]:02X} length {length} -> {new}", b"".join(parts)


def jpeg_edit_frame(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Change a field of the frame header: precision, size, components, sampling, tables."""
    parts = jpeg_parts(data)
    frames = [i for i in _segments(parts) if parts[i][1] in (0xC0, 0xC1, 0xC2)]
    segment = bytearray(parts[frames[0]])
    offset = rng.choice([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    if offset >= len(segment):
        offset = len(segment) - 1
    value = rng.choice([0, 1, 2, 3, 4, 8, 12, 16, 0x11, 0x22, 0x44, 0xFF])
    segment[offset] = value
    parts[frames[0]] = bytes(segment)
    return f"frame byte {offset} = {value}", b"".join(parts)


def jpeg_scan_bytes(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Flip bytes inside entropy-coded data (stuffing kept valid: no new 0xFF)."""
    parts = jpeg_parts(data)
    scans = [i for i in _segments(parts) if parts[i][1] == 0xDA]
    i = rng.choice(scans)
    scan = bytearray(parts[i])
    header = 2 + struct.unpack_from(">H", scan, 2)[0]
    for _ in range(rng.choice([1, 4, 32])):
        if header < len(scan):
            pos = rng.randrange(header, len(scan))
            if scan[pos] != 0xFF and (pos == 0 or scan[pos - 1] != 0xFF):
                scan[pos] = rng.randrange(0xFF)
    parts[i] = bytes(scan)
    return f"scan {i} data flipped", b"".join(parts)


def jpeg_scan_header(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Edit a scan header: component selectors, tables, spectral range, approximation."""
    parts = jpeg_parts(data)
    scans = [i for i in _segments(parts) if parts[i][1] == 0xDA]
    i = rng.choice(scans)
    scan = bytearray(parts[i])
    header_end = 2 + struct.unpack_from(">H", scan, 2)[0]
    offset = rng.randrange(4, header_end)
    scan[offset] = rng.choice([0, 1, 2, 5, 0x3F, 0x40, 0x11, 0xF0, 0xFF])
    parts[i] = bytes(scan)
    return f"scan {i} header byte {offset}", b"".join(parts)


def jpeg_no_end(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    return "no EOI", data[:-2]


def jpeg_junk_between(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = jpeg_parts(data)
    i = rng.choice(_segments(parts))
    junk = bytes(rng.randrange(256) for _ in range(rng.choice([1, 7, 64])))
    return f"junk before part {i}", b"".join([*parts[:i], junk, *parts[i:]])


# ----------------------------------------------------------------------- PNG structure


def png_parts(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) per chunk, ignoring CRCs."""
    parts, pos = [], 8
    while pos + 12 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        parts.append((ctype, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return parts


def png_join(parts: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(t, p) for t, p in parts)


def png_drop_chunk(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = png_parts(data)
    i = rng.randrange(len(parts))
    return f"drop {parts[i][0].decode()}", png_join(parts[:i] + parts[i + 1 :])


def png_repeat_chunk(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = png_parts(data)
    i = rng.randrange(len(parts))
    times = rng.choice([2, 3, 50])
    return f"repeat {parts[i][0].decode()} x{times}", png_join(
        parts[:i] + [parts[i]] * times + parts[i + 1 :]
    )


def png_swap_chunks(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = png_parts(data)
    i, j = sorted(rng.sample(range(len(parts)), 2))
    parts[i], parts[j] = parts[j], parts[i]
    return f"swap {parts[j][0].decode()} and {parts[i][0].decode()}", png_join(parts)


def png_flip_with_crc(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """Damage a chunk's payload and fix its CRC, so the damage reaches the decoder."""
    parts = png_parts(data)
    candidates = [i for i, (_, p) in enumerate(parts) if p]
    i = rng.choice(candidates)
    ctype, payload = parts[i]
    payload = bytearray(payload)
    for _ in range(rng.choice([1, 2, 8])):
        pos = rng.randrange(len(payload))
        payload[pos] ^= 1 << rng.randrange(8)
    parts[i] = (ctype, bytes(payload))
    return f"{ctype.decode()} flipped, CRC fixed", png_join(parts)


def png_edit_header(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """A different IHDR (size, depth, colour type, interlace) over the same image data."""
    parts = png_parts(data)
    width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", parts[0][1])
    field = rng.choice(["width", "height", "depth", "colour", "interlace", "method"])
    if field == "width":
        width = rng.choice([1, width - 1, width + 1, width * 2, 2000])
    elif field == "height":
        height = rng.choice([1, height - 1, height + 1, height * 2, 2000])
    elif field == "depth":
        depth = rng.choice([1, 2, 4, 8, 16, 3])
    elif field == "colour":
        colour = rng.choice([0, 2, 3, 4, 6, 1])
    elif field == "interlace":
        interlace = 1 - interlace if interlace in (0, 1) else 0
    else:
        comp, filt = rng.choice([(1, 0), (0, 1), (0, 0)])
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, comp, filt, interlace)
    parts[0] = (b"IHDR", ihdr)
    return f"IHDR {field}", png_join(parts)


def png_bad_crc(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = png_parts(data)
    i = rng.randrange(len(parts))
    out = bytearray(png_join(parts))
    pos = 8 + sum(12 + len(p) for _, p in parts[: i + 1]) - 4
    out[pos] ^= 0x55
    return f"bad CRC on {parts[i][0].decode()}", bytes(out)


def png_bad_length(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    parts = png_parts(data)
    i = rng.randrange(len(parts))
    out = bytearray(png_join(parts))
    pos = 8 + sum(12 + len(p) for _, p in parts[:i])
    length = len(parts[i][1])
    new = rng.choice([0, length - 1, length + 1, 0x7FFFFFFF, 0xFFFFFFFF])
    struct.pack_into(">I", out, pos, max(0, new))
    return f"{parts[i][0].decode()} length {length} -> {new}", bytes(out)


def png_split_idat(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """The image data cut into many small chunks, or recompressed with damage."""
    parts = png_parts(data)
    stream = b"".join(p for t, p in parts if t == b"IDAT")
    if rng.random() < 0.5:
        size = rng.choice([1, 7, 100])
        pieces = [(b"IDAT", stream[i : i + size]) for i in range(0, len(stream), size)]
        how = f"IDAT in {size}-byte chunks"
    else:
        raw = zlib.decompress(stream)
        cut = rng.choice([len(raw) // 2, len(raw) - 1, len(raw) + 5])
        raw = raw[:cut] + bytes(max(0, cut - len(raw)))
        raw = bytearray(raw)
        if raw and rng.random() < 0.5:
            raw[0] = rng.choice([5, 6, 255])  # a filter type that does not exist
        pieces = [(b"IDAT", zlib.compress(bytes(raw)))]
        how = f"IDAT recompressed to {cut} raw bytes"
    first = next(i for i, (t, _) in enumerate(parts) if t == b"IDAT")
    rest = [(t, p) for t, p in parts[first:] if t != b"IDAT"]
    return how, png_join(parts[:first] + pieces + rest)


def png_add_metadata(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """A text, ICC or EXIF chunk with random or oversized content, before the image data."""
    kind = rng.choice([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"PLTE", b"tRNS", b"sPLT"])
    size = rng.choice([0, 5, 300, 2 * 1024 * 1024])
    body = bytes(rng.randrange(256) for _ in range(min(size, 300))) + bytes(max(0, size - 300))
    if kind in (b"zTXt", b"iCCP"):
        payload = b"k\x00\x00" + zlib.compress(body)
    elif kind == b"iTXt":
        payload = b"k\x00\x01\x00\x00\x00" + zlib.compress(body)
    else:
        payload = body
    parts = png_parts(data)
    parts.insert(1, (kind, payload))
    return f"added {kind.decode()} of {size} bytes", png_join(parts)


# ---------------------------------------------------------------------- any format


def truncate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    cut = rng.choice([rng.randrange(len(data)), len(data) - 1, len(data) - 12, 20])
    return f"truncated at {cut}", data[: max(0, cut)]


def bit_flips(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    out = bytearray(data)
    flips = rng.choice([1, 3, 16])
    for _ in range(flips):
        pos = rng.randrange(len(out))
        out[pos] ^= 1 << rng.randrange(8)
    return f"{flips} bit flips", bytes(out)


def overwrite(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    out = bytearray(data)
    start = rng.randrange(len(out))
    size = rng.choice([1, 4, 64])
    out[start : start + size] = bytes(rng.randrange(256) for _ in range(size))
    return f"{size} bytes overwritten at {start}", bytes(out)


# ------------------------------------------------- WebP chunks, GIF blocks, ISOBMFF boxes


def _units(data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """(the part before the first unit, [(start, end) of each chunk, block or box])."""
    if data[:4] == b"RIFF":
        pos, units = 12, []
        while pos + 8 <= len(data):
            length = struct.unpack_from("<I", data, pos + 4)[0]
            end = min(len(data), pos + 8 + length + (length & 1))
            units.append((pos, end))
            pos = end
        return data[:12], units
    if data[:3] == b"GIF":
        flags = data[10]
        pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        first, units = pos, []
        while pos < len(data) and data[pos] in (0x21, 0x2C):
            start = pos
            if data[pos] == 0x2C:
                local = data[pos + 9]
                pos += 11 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            else:
                pos += 2
            while pos < len(data) and data[pos]:
                pos += 1 + data[pos]
            pos += 1
            units.append((start, min(pos, len(data))))
        return data[:first], units
    # ISOBMFF: the boxes inside meta (and the top-level ones).
    pos, units = 0, []
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"meta":
            inner = pos + 12
            while inner + 8 <= pos + size:
                (inner_size,) = struct.unpack_from(">I", data, inner)
                if inner_size < 8:
                    break
                units.append((inner, inner + inner_size))
                inner += inner_size
        else:
            units.append((pos, pos + max(size, 8)))
        pos += max(size, 8)
    return b"", units


def unit_drop(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    _, units = _units(data)
    start, end = rng.choice(units)
    return f"drop {data[start : start + 8]!r}", data[:start] + data[end:]


def unit_repeat(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    _, units = _units(data)
    start, end = rng.choice(units)
    times = rng.choice([2, 3, 40])
    return f"repeat {data[start : start + 8]!r} x{times}", data[:end] + data[start:end] * (
        times - 1
    ) + data[end:]


def unit_bad_length(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    _, units = _units(data)
    start, end = rng.choice(units)
    out = bytearray(data)
    new = rng.choice([0, 1, 7, end - start - 1, end - start + 1, 0xFFFF, 0xFFFFFFFF])
    if data[:4] == b"RIFF":
        struct.pack_into("<I", out, start + 4, new)
    elif data[:3] == b"GIF":
        out[start + 1 if out[start] == 0x21 else start + 5] = new & 0xFF
    else:
        struct.pack_into(">I", out, start, new)
    return f"length of {data[start : start + 8]!r} -> {new}", bytes(out)


Mutation = Callable[[bytes, random.Random], tuple[str, bytes]]
ANY: list[Mutation] = [truncate, bit_flips, overwrite]
JPEG: list[Mutation] = [
    *ANY,
    jpeg_drop_segment,
    jpeg_repeat_segment,
    jpeg_swap_segments,
    jpeg_bad_length,
    jpeg_edit_frame,
    jpeg_scan_bytes,
    jpeg_scan_header,
    jpeg_no_end,
    jpeg_junk_between,
]
PNG: list[Mutation] = [
    *ANY,
    png_drop_chunk,
    png_repeat_chunk,
    png_swap_chunks,
    png_flip_with_crc,
    png_edit_header,
    png_bad_crc,
    png_bad_length,
    png_split_idat,
    png_add_metadata,
]


OTHER: list[Mutation] = [*ANY, unit_drop, unit_repeat, unit_bad_length]
OPERATORS = {"jpeg": JPEG, "png": PNG}


def mutants(count: int, seed: int = 0) -> Iterator[Mutant]:
    """``count`` mutants, the same ones for the same arguments."""
    rng = random.Random(seed)
    names = sorted(seeds())
    for n in range(count):
        source = names[n % len(names)]
        data = seeds()[source]
        operators = OPERATORS.get(source.split("-")[0], OTHER)
        description = []
        # Mostly one mutation, sometimes two stacked.
        for _ in range(1 if rng.random() < 0.8 else 2):
            mutation = rng.choice(operators)
            try:
                what, data = mutation(data, rng)
            except (ValueError, IndexError, struct.error, zlib.error, StopIteration):
                continue  # the structure this mutation needs is gone: skip it
            description.append(what)
        yield Mutant(f"#{n} {source}: {'; '.join(description) or 'unchanged'}", data)


# ------------------------------------------------------------------------ the property


def check(data: bytes, heights: tuple[int, ...] = (20, 48)) -> str:
    """Refused by validation and rendering alike, or accepted and rendered; which one."""
    try:
        info = inspect(data, limits=LIMITS, heights=heights)
    except ImageRejected as exc:
        try:
            render_thumbnails(data, heights, limits=LIMITS)
        except ImageRejected as again:
            assert again.code == exc.code, (exc.code, again.code)
            return f"rejected:{exc.code}"
        raise AssertionError(f"validation refused ({exc.code}) what rendering accepted") from None
    decoded = decode(data, heights, limits=LIMITS)
    for source, fmt in ((data, None), (decoded, None), (decoded, "WEBP")):
        thumbs = render_thumbnails(source, heights, limits=LIMITS, output_format=fmt)
        assert [t.requested_height for t in thumbs] == sorted(heights)
        for thumb in thumbs:
            with Image.open(io.BytesIO(thumb.content)) as out:
                out.load()
                assert out.size == (thumb.width, thumb.height)
                assert thumb.height <= info.height and thumb.width <= max(info.width, 1)
    return "rendered"


def main(argv: list[str]) -> None:
    """``python -m tests.processing.mutations COUNT SEED``: one JSON line per mutant.

    Run in a child process by the tests, so a mutant that hangs the decoder can be
    stopped by its wall-clock limit without any signal handling in the test process.
    """
    count, seed = int(argv[0]), int(argv[1])
    for n, mutant in enumerate(mutants(count, seed)):
        line = {"n": n, "name": mutant.name}
        try:
            line["result"] = check(mutant.data)
        except BaseException:
            line["error"] = traceback.format_exc(limit=-6)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
