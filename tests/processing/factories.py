"""Images made on the fly for the processing tests: no binary fixtures are shipped.

Everything here builds real files with Pillow, or by hand where Pillow cannot write the
variant (interlaced PNG, hand-made ICC profiles, PNGs that lie about their size).
"""

from __future__ import annotations

import io
import math
import random
import struct
import zlib
from datetime import datetime

from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageStat

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)


# ------------------------------------------------------------------------ encoding


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# -------------------------------------------------------------------------- content


def photo_like(size: tuple[int, int], *, seed: int = 1, noise: float = 0.12) -> Image.Image:
    """RGB with smooth gradients, hard-edged shapes, thin lines and grain."""
    width, height = size
    rng = random.Random(seed)
    r = Image.linear_gradient("L").resize(size)
    g = Image.radial_gradient("L").resize(size)
    b = r.transpose(Image.Transpose.ROTATE_180)
    img = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        s = rng.randrange(max(2, width // 40), max(3, width // 4))
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice([draw.ellipse, draw.rectangle])
        shape((x, y, x + s, y + s * 0.7), fill=colour)
    for _ in range(60):
        points = [rng.randrange(width), rng.randrange(height)]
        points += [rng.randrange(width), rng.randrange(height)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.line(points, fill=colour, width=rng.randrange(1, 4))
    grain = Image.effect_noise(size, 30)
    grain = Image.merge(
        "RGB",
        (
            grain,
            grain.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            grain.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
        ),
    )
    return Image.blend(img, grain, noise)


def quadrants(
    size: tuple[int, int],
    colours: tuple[tuple[int, int, int], ...] = (RED, GREEN, BLUE, YELLOW),
) -> Image.Image:
    """Top-left, top-right, bottom-left, bottom-right filled with the four colours."""
    width, height = size
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    half_w, half_h = width // 2, height // 2
    draw.rectangle((0, 0, half_w - 1, half_h - 1), fill=colours[0])
    draw.rectangle((half_w, 0, width - 1, half_h - 1), fill=colours[1])
    draw.rectangle((0, half_h, half_w - 1, height - 1), fill=colours[2])
    draw.rectangle((half_w, half_h, width - 1, height - 1), fill=colours[3])
    return img


def quadrant_colours(img: Image.Image) -> list[tuple[int, ...]]:
    """The colour at the centre of each quadrant (TL, TR, BL, BR)."""
    img = img.convert("RGB")
    w, h = img.size
    points = [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4)]
    points.append((3 * w // 4, 3 * h // 4))
    return [img.getpixel(p) for p in points]


# ------------------------------------------------------------------------- metadata

# EXIF orientation -> the transpose that shows the stored pixels upright (EXIF 2.3).
DISPLAY_TRANSPOSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_INVERSE = {
    Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
}


def stored_for_display(displayed: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera would store so that ``orientation`` displays ``displayed``."""
    method = DISPLAY_TRANSPOSE[orientation]
    if method is None:
        return displayed.copy()
    return displayed.transpose(_INVERSE.get(method, method))


def exif_bytes(*, orientation: int | None = None, gps: bool = False) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x0110] = "Camera Model"  # Model
    exif[0x0132] = datetime(2024, 5, 1, 12, 0).strftime("%Y:%m:%d %H:%M:%S")
    if orientation is not None:
        exif[0x0112] = orientation
    if gps:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1] = "N"  # GPSLatitudeRef
        gps_ifd[2] = (52.0, 13.0, 26.0)  # GPSLatitude
        gps_ifd[3] = "E"
        gps_ifd[4] = (13.0, 24.0, 36.0)
    return exif.tobytes()


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="Secret Photographer"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def jpeg_segments(data: bytes) -> list[int]:
    """Marker codes of the segments before the first scan (SOI excluded)."""
    pos, markers = 2, []
    while pos + 4 <= len(data):
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
    return markers


def png_chunk_types(data: bytes) -> list[bytes]:
    pos, types = 8, []
    while pos + 8 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        types.append(ctype)
        pos += 12 + length
    return types


# ------------------------------------------------------------------- hand-made files


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(ctype))
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)


def png_file(ihdr: bytes, idat: bytes, *, end: bool = True) -> bytes:
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
    return data + (png_chunk(b"IEND", b"") if end else b"")


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, valid 1-bit PNG of all-zero pixels: tiny file, enormous image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    packer = zlib.compressobj(9)
    parts = [packer.compress(row) for _ in range(height)]
    parts.append(packer.flush())
    return png_file(ihdr, b"".join(parts))


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2))
_ADAM7 += ((0, 1, 1, 2),)


def interlaced_png(img: Image.Image) -> bytes:
    """An Adam7-interlaced 8-bit RGB PNG (Pillow only writes non-interlaced ones)."""
    img = img.convert("RGB")
    width, height = img.size
    pixels = img.load()
    raw = bytearray()
    for x0, y0, dx, dy in _ADAM7:
        xs = range(x0, width, dx)
        if not xs:
            continue
        for y in range(y0, height, dy):
            raw.append(0)  # filter type None
            for x in xs:
                raw.extend(pixels[x, y])
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return png_file(ihdr, zlib.compress(bytes(raw)))


def _s15f16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15f16(x) + _s15f16(y) + _s15f16(z)


def _curve_tag(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)


def _text_description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\x00"
    payload = b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text
    payload += struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + bytes(67)
    return payload


def _assemble_profile(
    tags: list[tuple[bytes, bytes]], device_class: bytes, colour_space: bytes, pcs: bytes
) -> bytes:
    """An ICC v2 file: the 128-byte header, the tag table, then the 4-byte aligned tags."""
    d50 = (0.9642, 1.0, 0.8249)
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, payload in tags:
        payload += bytes(-len(payload) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(payload))
        body += payload
    size = offset + len(body)
    header = struct.pack(">I4sI4s4s4s", size, b"lcms", 0x02100000, device_class, colour_space, pcs)
    header += struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + bytes(4 * 6)
    header += struct.pack(">I", 0) + b"".join(_s15f16(v) for v in d50) + bytes(4 + 16 + 28)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def icc_profile(space: str = "RGB", *, gamma: float = 1.0) -> bytes:
    """A real ICC v2 display profile: sRGB primaries (or grey) with a pure-gamma curve.

    gamma=1.0 makes a *linear* profile, so pixel value 128 means 50 % light, which
    sRGB writes as ~188: a colour change nobody can miss.
    """
    d50 = (0.9642, 1.0, 0.8249)
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _text_description(f"test {space} gamma {gamma}")),
        (b"cprt", b"text" + bytes(4) + b"No copyright, test profile\x00"),
        (b"wtpt", _xyz_tag(*d50)),
    ]
    if space == "RGB":
        colour_space = b"RGB "
        tags += [
            (b"rXYZ", _xyz_tag(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", _xyz_tag(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", _xyz_tag(0.1431, 0.0606, 0.7141)),
            (b"rTRC", _curve_tag(gamma)),
            (b"gTRC", _curve_tag(gamma)),
            (b"bTRC", _curve_tag(gamma)),
        ]
    elif space == "GRAY":
        colour_space = b"GRAY"
        tags.append((b"kTRC", _curve_tag(gamma)))
    else:
        raise ValueError(space)
    return _assemble_profile(tags, b"mntr", colour_space, b"XYZ ")


# -------------------------------------------------------------------------- metrics


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio in dB over all bands (inf when identical)."""
    assert a.size == b.size and a.mode == b.mode, (a.size, b.size, a.mode, b.mode)
    stat = ImageStat.Stat(ImageChops.difference(a, b))
    mse = sum(stat.sum2) / (a.width * a.height * len(stat.sum2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def close(actual, expected, tolerance: int) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(actual, expected, strict=True))


def cmyk_icc_profile(*, black_density: float = 0.6) -> bytes:
    """A real ICC v2 CMYK (output class) profile with a 2-point CMYK -> Lab lookup table.

    Inks behave like the naive formula (R = 255 * (1 - C) * (1 - K)), except that black
    ink only reaches ``black_density``: a 100 % K patch is a dark grey, not black, so
    colour-managed output differs visibly from Pillow's profile-less conversion.
    """
    corners = []  # CLUT order: C slowest, then M, Y, K fastest
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    light = 1 - k * black_density
                    corners.append(tuple(round(255 * (1 - ink) * light) for ink in (c, m, y)))
    strip = Image.new("RGB", (len(corners), 1))
    strip.putdata(corners)
    lab = ImageCms.profileToProfile(
        strip, ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB"), outputMode="LAB"
    )
    clut = b""
    for i in range(len(corners)):
        lightness, a, b = lab.getpixel((i, 0))
        clut += struct.pack(">3H", round(lightness * 0xFF00 / 255), a * 256, b * 256)
    identity = b"".join(_s15f16(v) for v in (1, 0, 0, 0, 1, 0, 0, 0, 1))
    ramp = struct.pack(">2H", 0, 0xFFFF)
    lut = b"mft2" + bytes(4) + struct.pack(">BBBB", 4, 3, 2, 0) + identity
    lut += struct.pack(">HH", 2, 2) + ramp * 4 + clut + ramp * 3

    d50 = (0.9642, 1.0, 0.8249)
    tags = [
        (b"desc", _text_description("test CMYK")),
        (b"cprt", b"text" + bytes(4) + b"No copyright, test profile\x00"),
        (b"wtpt", _xyz_tag(*d50)),
        (b"A2B0", lut),
    ]
    return _assemble_profile(tags, b"prtr", b"CMYK", b"Lab ")


# --------------------------------------------------------------- HEIC, AVIF, WebP, GIF


def heic(img: Image.Image, *, exif: bytes | None = None, **params) -> bytes:
    """A real HEIC, encoded by libheif + x265 (pillow-heif: test tooling only).

    With an EXIF orientation, libheif stores the pixels as given and writes the
    matching ``irot``/``imir`` transform, keeping the EXIF tag: what iPhones write.
    """
    import pillow_heif

    out = io.BytesIO()
    if exif is not None:
        params["exif"] = exif
    pillow_heif.from_pillow(img).save(out, **params)
    return out.getvalue()


def heic_of(images: list[Image.Image], *, primary: int) -> bytes:
    """A HEIF holding several images, ``primary`` the one viewers show."""
    import pillow_heif

    heif = pillow_heif.from_pillow(images[0])
    for img in images[1:]:
        heif.add_from_pillow(img)
    out = io.BytesIO()
    heif.save(out, primary_index=primary)
    return out.getvalue()


def heic_16bit(grey16: Image.Image, **params) -> bytes:
    """A 10-bit (or 12-bit with ``save_to_12bit``) HEIC from a 16-bit grey image."""
    import pillow_heif

    values = grey16.tobytes("raw", "I;16")
    rgb16 = b"".join(values[i : i + 2] * 3 for i in range(0, len(values), 2))
    heif = pillow_heif.from_bytes("RGB;16", grey16.size, rgb16)
    out = io.BytesIO()
    heif.save(out, **params)
    return out.getvalue()


def with_exif_orientation(data: bytes, orientation: int) -> bytes:
    """The file with its (big-endian) EXIF orientation tag's value changed in place."""
    entry = b"\x01\x12\x00\x03\x00\x00\x00\x01"
    pos = data.index(entry) + len(entry)
    return data[:pos] + struct.pack(">H", orientation) + data[pos + 2 :]
