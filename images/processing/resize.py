"""Sizes and resampling: one (DCT-reduced) decode, every height made from it."""

from __future__ import annotations

import math
from collections.abc import Iterable

from PIL import Image, ImageMath

from images.processing.budget import STRIP_BYTES

# JPEG reduced-size (DCT) decoding picks the smallest scale (1/8, 1/4, 1/2, 1) whose
# result is still at least this many times the largest thumbnail. DCT scaling is a real
# low-pass downscale (unlike the box reduce() that reducing_gap is about), so it needs
# less headroom. Measured on a photo-like 4000x3000 JPEG over heights 150-750 against a
# full decode + Lanczos: 1.0 falls to 35 dB (the DCT result alone), 1.5 stays >= 40 dB,
# 2.0 >= 44 dB but decodes a 400 px thumbnail at 1/2 instead of 1/4 scale, ~1.6x slower.
DCT_SCALE_GAP = 1.5
# A smaller thumbnail is made from the previous (larger) result instead of from the
# decoded image when the previous one is at least this many times larger: a second
# Lanczos pass at half the size or less is indistinguishable from a direct one.
CHAIN_MIN_RATIO = 2.0


# The widest thumbnail: WebP cannot hold more than 16,383 pixels a side, and a variant
# must be makeable in every output format. Only extreme panoramas meet it; their
# thumbnails are then less tall than asked, as with sources shorter than the height.
MAX_THUMBNAIL_WIDTH = 16_383


def plan_sizes(shown_w: int, shown_h: int, heights: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Requested height -> displayed (width, height): no upscaling, aspect preserved."""
    plan = {}
    for requested in heights:
        height = min(requested, shown_h, max(1, MAX_THUMBNAIL_WIDTH * shown_h // shown_w))
        if height == shown_h:
            width = shown_w
        else:
            width = max(1, math.floor(shown_w * height / shown_h + 0.5))
        plan[requested] = (min(width, MAX_THUMBNAIL_WIDTH), height)
    return plan


def stored_size(size: tuple[int, int], swap: bool) -> tuple[int, int]:
    return (size[1], size[0]) if swap else size


def normalise_mode(im: Image.Image) -> Image.Image:
    """Bring a decoded image into a mode that resamples correctly.

    Result modes: L, LA, RGB, RGBA or CMYK (CMYK becomes RGB after resizing).
    Transparency given by tRNS (palette, grey or RGB key colours) becomes an alpha band.
    """
    mode = im.mode
    transparency = im.info.get("transparency")
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        if transparency is not None and mode in ("RGB", "L"):
            return im.convert(mode + "A" if mode == "L" else "RGBA")
        return im
    if mode == "P":
        return _palette_to_colour(im, transparency)
    if mode.startswith("I"):
        return _wide_grey_to_grey(im, transparency)
    return im.convert(_converted_mode(im, transparency))


# Modes a plain convert() brings into a resampling mode (the rest: RGB, or RGBA with alpha).
_CONVERTED_TO = {"PA": "RGBA", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB", "YCbCr": "RGB"}


def _converted_mode(im: Image.Image, transparency: object) -> str:
    if im.mode == "1":
        return "LA" if transparency is not None else "L"
    if im.mode in _CONVERTED_TO:
        return _CONVERTED_TO[im.mode]
    return "RGBA" if "A" in im.getbands() else "RGB"


def _palette_to_colour(im: Image.Image, transparency: object) -> Image.Image:
    has_alpha = transparency is not None or (im.palette is not None and im.palette.mode == "RGBA")
    return im.convert("RGBA" if has_alpha else "RGB")


def _wide_grey_to_grey(im: Image.Image, transparency: object) -> Image.Image:
    """16-bit (or 32-bit) grey to L, with an alpha band from a tRNS key value.

    Pillow's I;16 -> L conversion clips; this scales 0..65535 to 0..255, rounded.
    """
    wide = im.convert("I")
    grey = wide.point(lambda v: v / 257 + 0.5).convert("L")  # rounded
    if transparency is None:
        return grey
    key = transparency
    alpha = ImageMath.lambda_eval(
        lambda a: a["convert"](a["notequal"](a["im"], key) * 255, "L"), im=wide
    )
    return Image.merge("LA", (grey, alpha))


# Alpha is resampled premultiplied (as Pillow's own resize does), so transparent
# pixels' colours do not bleed into visible ones.
_PREMULTIPLIED = {"LA": "La", "RGBA": "RGBa"}
_STRAIGHT = {v: k for k, v in _PREMULTIPLIED.items()}


def reduce_factor(
    size: tuple[float, float], target: tuple[int, int], gap: float
) -> tuple[int, int]:
    """Pillow's box-reduce factors for a resize from ``size`` to ``target`` (reducing_gap)."""
    return (int(size[0] / target[0] / gap) or 1, int(size[1] / target[1] / gap) or 1)


def needs_copy(im: Image.Image, factor: tuple[int, int]) -> bool:
    """Whether the decoded image must be converted or reduced before resampling."""
    usable = im.mode in ("L", "RGB", "CMYK") and "transparency" not in im.info
    return factor != (1, 1) or not usable


def reduce_in_strips(im: Image.Image, factor: tuple[int, int]) -> Image.Image:
    """Normalise the mode and box-reduce ``im`` a strip at a time.

    The result is L, La, RGB, RGBa or CMYK (premultiplied alpha, ready to resample). A
    whole-image convert() or reduce() would hold a second full-size copy next to the
    decoded image (4 bytes per pixel: 200 MB at 50 MP); a strip of ~STRIP_BYTES does not.
    """
    if not needs_copy(im, factor):
        return im
    fx, fy = factor
    width, height = im.size
    rows = max(1, STRIP_BYTES // (4 * width * fy)) * fy
    out: Image.Image | None = None
    for top in range(0, height, rows):
        strip = normalise_mode(im.crop((0, top, width, min(height, top + rows))))
        strip = strip.convert(_PREMULTIPLIED.get(strip.mode, strip.mode))
        if factor != (1, 1):
            strip = strip.reduce(factor)
        if out is None:
            out = Image.new(strip.mode, (math.ceil(width / fx), math.ceil(height / fy)))
        out.paste(strip, (0, top // fy))
    assert out is not None
    return out


def finish(img: Image.Image) -> Image.Image:
    """Back from premultiplied alpha, once the resampling is done."""
    return img.convert(_STRAIGHT[img.mode]) if img.mode in _STRAIGHT else img


def resize_all(
    base: Image.Image,
    box: tuple[float, float, float, float] | None,
    sizes: list[tuple[int, int]],
    gap: float,
) -> dict[tuple[int, int], Image.Image]:
    """Make every size from ``base`` (one decode), largest first.

    A smaller size is made from the previous result when that is at least
    CHAIN_MIN_RATIO times larger (cheaper, and indistinguishable); otherwise from base.
    """
    results: dict[tuple[int, int], Image.Image] = {}
    previous: Image.Image | None = None
    for size in sorted(sizes, key=lambda s: s[0] * s[1], reverse=True):
        if (
            previous is not None
            and min(previous.width / size[0], previous.height / size[1]) >= CHAIN_MIN_RATIO
        ):
            img = previous.resize(size, Image.Resampling.LANCZOS, reducing_gap=gap)
        elif size == base.size and box in (None, (0, 0, *base.size)):
            img = base
        else:
            img = base.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=gap)
        results[size] = img
        previous = img
    return results
