"""What the simulated users upload: photos and screenshots of several sizes, and files
that must be refused.

Each accepted kind is encoded once (Pillow) and made unique per upload by a metadata
block carrying a fresh id (a JPEG comment segment, a PNG ``tEXt`` chunk), so every
upload is a distinct file with its own SHA-256 at no encoding cost: the check that an
original comes back byte for byte then also catches originals served for the wrong image.
"""

import io
import random
import struct
import uuid
import zlib
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw


@dataclass(frozen=True)
class Kind:
    """One kind of upload: its name in the statistics, and whether the API must accept it."""

    name: str
    filename: str
    content_type: str
    accepted: bool
    weight: int


# The mix, by weight (per 100 uploads). Phones send mid-size JPEGs most; large camera
# JPEGs and PNG screenshots are rarer; one upload in ten is something the API must
# refuse (a truncated transfer, a file that is not an image at all).
KINDS = [
    Kind("jpeg-small", "phone.jpg", "image/jpeg", True, 35),
    Kind("jpeg-medium", "photo.jpg", "image/jpeg", True, 25),
    Kind("jpeg-large", "camera.jpg", "image/jpeg", True, 8),
    Kind("png-small", "screenshot.png", "image/png", True, 14),
    Kind("png-alpha", "logo.png", "image/png", True, 8),
    Kind("refused-truncated", "broken.jpg", "image/jpeg", False, 5),
    Kind("refused-not-an-image", "notes.jpg", "image/jpeg", False, 5),
]
SIZES = {
    "jpeg-small": (640, 480),
    "jpeg-medium": (1600, 1200),
    "jpeg-large": (4000, 3000),
    "png-small": (800, 600),
    "png-alpha": (600, 600),
}


def _picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A photo-like picture: a gradient with shapes and grain, so JPEG sizes are realistic."""
    width, height = size
    base = Image.radial_gradient("L").resize(size).convert(mode)
    draw = ImageDraw.Draw(base)
    rng = random.Random(width * height)
    for _ in range(12):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(10, max(11, min(width, height) // 4))
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill + ((200,) if mode == "RGBA" else ()))
    grain = Image.effect_noise(size, 24).convert(mode)
    return Image.blend(base, grain, 0.15)


@cache
def _template(kind: str) -> bytes:
    out = io.BytesIO()
    if kind.startswith("jpeg"):
        _picture(SIZES[kind]).save(out, "JPEG", quality=88)
    elif kind == "png-small":
        _picture(SIZES[kind]).save(out, "PNG")
    elif kind == "png-alpha":
        _picture(SIZES[kind], "RGBA").save(out, "PNG")
    elif kind == "refused-truncated":
        whole = _template("jpeg-medium")
        return whole[: len(whole) * 3 // 5]
    elif kind == "refused-not-an-image":
        return b"Shopping list\n- milk\n- bread\n" * 40
    return out.getvalue()


def _unique_jpeg(template: bytes, tag: bytes) -> bytes:
    comment = b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag
    return template[:2] + comment + template[2:]  # right after SOI


def _unique_png(template: bytes, tag: bytes) -> bytes:
    body = b"tEXt" + b"Comment\x00" + tag
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return template[:33] + chunk + template[33:]  # after the signature and IHDR


def make(kind: Kind) -> bytes:
    """A fresh file of ``kind``: unique bytes for the accepted kinds."""
    template = _template(kind.name)
    tag = uuid.uuid4().hex.encode()
    if kind.name.startswith("jpeg"):
        return _unique_jpeg(template, tag)
    if kind.name.startswith("png"):
        return _unique_png(template, tag)
    return template


def pick(rng: random.Random, accepted_only: bool = False) -> Kind:
    kinds = [k for k in KINDS if k.accepted or not accepted_only]
    return rng.choices(kinds, weights=[k.weight for k in kinds])[0]


def small_jpeg() -> tuple[Kind, bytes]:
    kind = KINDS[0]
    return kind, make(kind)
