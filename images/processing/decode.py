"""The decode step: one bounded decode, shared by validation and rendering.

Validation and rendering call the same :func:`decode`, so "accepted" and "renders"
cannot disagree: a file is accepted only after the decode that makes its thumbnails
has succeeded. Limits are checked in order of cost, each before the work it bounds:
the header walk (pixels, scans, segments, metadata sizes), then Pillow's open (headers
only) and the memory estimate, then the decode itself.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import pi_heif
from PIL import AvifImagePlugin, Image

from images.processing import budget
from images.processing.errors import (
    DECODE_ERRORS,
    ImageRejected,
    corrupt,
    too_many_pixels_from_pillow,
)
from images.processing.formats import FORMATS, MIME_TYPES
from images.processing.headers import Header, read_header
from images.processing.orientation import SWAPS_AXES, jpeg_orientation, orientation_from_exif
from images.processing.resize import (
    DCT_SCALE_GAP,
    needs_copy,
    plan_sizes,
    reduce_factor,
    reduce_in_strips,
    stored_size,
)
from images.processing.types import ImageInfo, Limits, ThumbnailOptions

DEFAULT_OPTIONS = ThumbnailOptions()

# Threads one decode may use: the cores this process may run on. The decode slots
# (images.thumbnails.concurrency) bound how many decodes run at once.
DECODE_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
# libheif (through pi-heif): decode the primary image only, never its thumbnails, depth
# or auxiliary images, and keep libheif's own security limits on. DECODE_THREADS is how
# many grid tiles libheif decodes at once (phones write 512x512 tiles; a single-image
# HEVC stream is decoded on one thread by libde265 whatever it says). libavif's dav1d
# gets the same bound through Pillow's AVIF plugin. These are the libraries'
# process-wide options, the same for every caller, so setting them here reads no setting.
pi_heif.options.THUMBNAILS = False
pi_heif.options.DEPTH_IMAGES = False
pi_heif.options.AUX_IMAGES = False
pi_heif.options.DECODE_THREADS = DECODE_THREADS
pi_heif.options.DISABLE_SECURITY_LIMITS = False
AvifImagePlugin.DEFAULT_MAX_THREADS = DECODE_THREADS
# Formats whose decoder applies the container's rotation and mirroring (irot/imir)
# itself: their EXIF orientation is informational and must not be applied again.
_TRANSFORMED_BY_DECODER = frozenset({"HEIF"})
# Formats with no orientation of their own.
_NO_ORIENTATION = frozenset({"GIF"})


@dataclass(frozen=True, eq=False)
class Decoded:
    """An upload decoded once, reduced to what its largest thumbnail needs.

    Holds the working image (a fraction of the full size for large sources), not the
    full decode: keeping one between validation and rendering costs little.
    """

    info: ImageInfo
    data: bytes
    image: Image.Image  # L, La, RGB, RGBa or CMYK, stored orientation, covers the source
    box: tuple[float, float, float, float]  # the region of ``image`` the source maps to
    orientation: int
    icc: bytes | None
    serves_height: int  # thumbnails up to this displayed height come from ``image``


def decode(
    data: bytes,
    heights: Iterable[int],
    *,
    limits: Limits,
    options: ThumbnailOptions = DEFAULT_OPTIONS,
) -> Decoded:
    """Decode ``data`` once, as rendering thumbnails of ``heights`` needs it.

    Raises :class:`ImageRejected` for anything that cannot be made into those
    thumbnails within ``limits``.
    """
    header = read_header(data, limits)
    wanted = sorted(set(heights))
    try:
        im = _open(data, header)
        if header.format in _TRANSFORMED_BY_DECODER or header.format in _NO_ORIENTATION:
            orientation = 1
        elif header.format == "PNG":
            orientation = orientation_from_exif(header.exif)
        else:  # JPEG, WebP; AVIF, where Pillow reports irot/imir as the orientation
            orientation = jpeg_orientation(im)
        swap = orientation in SWAPS_AXES
        shown = (im.height, im.width) if swap else (im.width, im.height)
        # The tallest thumbnail, in stored orientation; with no heights, the smallest
        # decode that still reads every byte (1/8 scale for a JPEG).
        tallest = max(plan_sizes(*shown, wanted or [1]).values(), key=lambda size: size[1])
        target = stored_size(tallest, swap)
        box = _draft(im, target) if header.format == "JPEG" else (0, 0, *im.size)
        factor = reduce_factor((box[2] - box[0], box[3] - box[1]), target, options.reducing_gap)
        working = None
        if needs_copy(im, factor):
            working = (math.ceil(im.width / factor[0]), math.ceil(im.height / factor[1]))
        needed = budget.estimate(header, im.mode, im.size, working, tallest)
        budget.check(needed, limits)
        im = _load(im)  # the one decode
        icc = im.info.get("icc_profile") or None
        if im.mode == "P" and im.palette is None:
            raise corrupt(header.format, "a palette image without its palette")
        image = reduce_in_strips(im, factor)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels_from_pillow(exc) from exc
    except DECODE_ERRORS as exc:
        if isinstance(exc, ImageRejected):
            raise
        raise corrupt(header.format) from exc
    box = (box[0] / factor[0], box[1] / factor[1], box[2] / factor[0], box[3] / factor[1])
    return Decoded(
        info=_info(header, shown, _has_alpha(im)),
        data=data,
        image=image,
        box=box,
        orientation=orientation,
        icc=icc,
        serves_height=tallest[1] if wanted else 0,
    )


def _draft(im: Image.Image, target: tuple[int, int]) -> tuple[float, float, float, float]:
    """Ask libjpeg for a DCT-scaled decode at least DCT_SCALE_GAP times the target size.

    Returns the box of the decoded image that maps to the whole source (DCT scaling
    rounds the size up).
    """
    request = (
        min(im.width, math.ceil(target[0] * DCT_SCALE_GAP)),
        min(im.height, math.ceil(target[1] * DCT_SCALE_GAP)),
    )
    result = im.draft(None, request)
    return (0, 0, *im.size) if result is None else result[1]


def _info(header: Header, shown: tuple[int, int], has_alpha: bool) -> ImageInfo:
    return ImageInfo(
        format=header.format,
        mime_type=MIME_TYPES[header.format],
        width=shown[0],
        height=shown[1],
        thumbnail_format=FORMATS[header.format].thumbnail_format(has_alpha),
    )


def _has_alpha(im: Image.Image) -> bool:
    """Whether the decoded image can be transparent (decided by its mode, not its pixels,
    so every decode of one file, at any size, agrees)."""
    if "transparency" in im.info or "A" in im.getbands() or "a" in im.mode:
        return True
    return im.mode == "P" and im.palette is not None and im.palette.mode == "RGBA"


def _open(data: bytes, header: Header) -> Image.Image:
    """Open ``data`` as ``header.format``, reading headers only.

    A HEIF file is opened with pi-heif's Pillow image class, without registering it as
    a Pillow plugin: libheif parses the boxes now and decodes on ``load()``. 10- and
    12-bit images are converted to 8 bits by libheif as it converts YCbCr to RGB, so
    nothing wider than 8 bits reaches Pillow; libheif applies irot/imir and pi-heif
    resets the EXIF orientation to match.
    """
    if header.format == "HEIF":
        return pi_heif.HeifImageFile(io.BytesIO(data))
    return Image.open(io.BytesIO(data), formats=[header.format])


def _load(im: Image.Image) -> Image.Image:
    """Decode the pixels (the first frame of an animation; a HEIF file's primary image)."""
    im.load()
    return im
