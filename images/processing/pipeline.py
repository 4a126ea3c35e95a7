"""The two operations: inspect an upload, render its thumbnails."""

from __future__ import annotations

import io
from collections.abc import Iterable

from PIL import Image

from images.processing.colour import to_srgb
from images.processing.encode import encode
from images.processing.headers import read_header
from images.processing.integrity import check_jpeg, check_png
from images.processing.model import (
    DECODE_ERRORS,
    MIME_TYPES,
    OUTPUT_FORMATS,
    ImageInfo,
    Thumbnail,
    ThumbnailOptions,
    corrupt,
    too_many_pixels_from_pillow,
)
from images.processing.orientation import SWAPS_AXES, TRANSPOSE, jpeg_orientation, png_orientation
from images.processing.resize import draft, normalise_mode, plan_sizes, resize_all, stored_size


def inspect(data: bytes, *, max_pixels: int) -> ImageInfo:
    """Validate an upload and describe it, without a full decode.

    Raises :class:`ImageRejected` with code ``empty``, ``unsupported_format`` (anything
    but JPEG and PNG, judged from the bytes), ``too_many_pixels`` (checked on the header,
    before any decoding) or ``corrupt`` (truncated or damaged data).
    """
    header = read_header(data, max_pixels=max_pixels)
    check = check_jpeg if header.format == "JPEG" else check_png
    orientation = check(data, header)
    width, height = header.width, header.height
    if orientation in SWAPS_AXES:
        width, height = height, width
    return ImageInfo(
        format=header.format, mime_type=MIME_TYPES[header.format], width=width, height=height
    )


def render_thumbnails(
    data: bytes,
    heights: Iterable[int],
    *,
    options: ThumbnailOptions,
    output_format: str | None = None,
) -> list[Thumbnail]:
    """Make one thumbnail per distinct requested height from ONE decode of ``data``.

    ``output_format`` None keeps the source family (JPEG -> JPEG, PNG -> PNG); "WEBP"
    and "AVIF" are available on request. A thumbnail is never taller than the source
    (``requested_height`` records what was asked). The result is ordered by height.
    Raises :class:`ImageRejected` like :func:`inspect` when the data is unacceptable.
    """
    heights = list(heights)
    for h in heights:
        if not isinstance(h, int) or isinstance(h, bool) or h < 1:
            raise ValueError(f"thumbnail heights must be positive integers, not {h!r}")
    wanted = sorted(set(heights))
    if not wanted:
        return []
    if output_format is not None:
        output_format = output_format.upper()
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {output_format!r}")

    header = read_header(data, max_pixels=options.max_pixels)
    fmt = output_format or header.format
    # Not a context manager: closing the file would also free the decoded pixels,
    # and a BytesIO needs no closing.
    try:
        im = Image.open(io.BytesIO(data), formats=[header.format])
        is_jpeg = header.format == "JPEG"
        orientation = jpeg_orientation(im) if is_jpeg else png_orientation(data)
        swap = orientation in SWAPS_AXES
        shown_w, shown_h = (im.height, im.width) if swap else (im.width, im.height)
        plan = plan_sizes(shown_w, shown_h, wanted)
        # From here on sizes are in stored orientation, (width, height).
        box = None
        if is_jpeg:
            largest = max(plan.values(), key=lambda size: size[1])
            box = draft(im, stored_size(largest, swap))
        im.load()  # the one decode
        icc = im.info.get("icc_profile") or None
        base = normalise_mode(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_many_pixels_from_pillow(exc) from exc
    except DECODE_ERRORS as exc:
        raise corrupt(header.format) from exc

    sizes = {stored_size(size, swap) for size in plan.values()}
    rendered = resize_all(base, box, sorted(sizes), options.reducing_gap)
    encoded: dict[tuple[int, int], bytes] = {}
    thumbnails = []
    for requested in wanted:
        width, height = plan[requested]
        if (width, height) not in encoded:
            img = rendered[stored_size((width, height), swap)]
            if orientation in TRANSPOSE:
                img = img.transpose(TRANSPOSE[orientation])
            img = to_srgb(img, icc)
            encoded[width, height] = encode(img, fmt, options)
        thumbnails.append(
            Thumbnail(
                requested_height=requested,
                width=width,
                height=height,
                format=fmt,
                mime_type=MIME_TYPES[fmt],
                content=encoded[width, height],
            )
        )
    return thumbnails
