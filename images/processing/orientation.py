"""EXIF orientation, read without decoding pixels."""

from __future__ import annotations

from PIL import Image

_ORIENTATION_TAG = 0x0112
# EXIF orientation -> the transpose that displays the stored pixels upright.
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Orientations whose displayed width is the stored height.
SWAPS_AXES = frozenset({5, 6, 7, 8})


def _valid_orientation(value: object) -> int:
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def jpeg_orientation(im: Image.Image) -> int:
    # JPEG EXIF lives in APP1, parsed on open: reading it decodes no pixels.
    try:
        return _valid_orientation(im.getexif().get(_ORIENTATION_TAG))
    except Exception:  # a broken EXIF block must not make an image unreadable
        return 1


def orientation_from_exif(exif: bytes | None) -> int:
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        return _valid_orientation(parsed.get(_ORIENTATION_TAG))
    except Exception:
        return 1
