"""The two operations, each a short string of steps: decode, plan, encode."""

from __future__ import annotations

from collections.abc import Iterable

from images.processing.colour import to_srgb
from images.processing.decode import DEFAULT_OPTIONS, Decoded, decode
from images.processing.encode import encode
from images.processing.formats import MIME_TYPES, OUTPUT_FORMATS
from images.processing.orientation import SWAPS_AXES, TRANSPOSE
from images.processing.resize import finish, plan_sizes, resize_all, stored_size
from images.processing.types import ImageInfo, Limits, RenderedThumbnail, ThumbnailOptions

DEFAULT_LIMITS = Limits()


def inspect(
    data: bytes,
    *,
    limits: Limits = DEFAULT_LIMITS,
    heights: Iterable[int] = (),
) -> ImageInfo:
    """Validate an upload and describe it, by decoding it as rendering ``heights`` would.

    Raises :class:`ImageRejected` with code ``empty``, ``unsupported_format`` (anything
    but the table's source formats, judged from the bytes), ``too_many_pixels``,
    ``too_many_scans``, ``too_many_frames``, ``too_many_tiles``, ``decode_too_costly``,
    ``metadata_too_large`` (all decided before decoding) or ``corrupt`` (the decode
    failed). To render the thumbnails afterwards without a
    second decode, call :func:`decode` and pass its result to :func:`render_thumbnails`.
    """
    return decode(data, heights, limits=limits).info


def plan(info: ImageInfo, heights: list[int]) -> dict[int, tuple[int, int]]:
    """Requested height -> displayed (width, height) of its thumbnail."""
    return plan_sizes(info.width, info.height, heights)


def render_thumbnails(
    source: bytes | Decoded,
    heights: Iterable[int],
    *,
    options: ThumbnailOptions = DEFAULT_OPTIONS,
    limits: Limits = DEFAULT_LIMITS,
    output_format: str | None = None,
) -> list[RenderedThumbnail]:
    """Make one thumbnail per distinct requested height from ONE decode.

    ``source`` is the original's bytes, or what :func:`decode` made of them (then
    nothing is decoded again, unless a height is taller than that decode serves).
    ``output_format`` None gives the source's canonical thumbnail format from the table
    (JPEG -> JPEG, PNG -> PNG, WebP -> WebP, GIF -> PNG, HEIC and AVIF -> JPEG, or PNG
    when they have alpha); any output format of the table is available on request. A
    thumbnail is never taller than the source (``requested_height`` records what was
    asked). The result is ordered by height.
    Raises :class:`ImageRejected` like :func:`inspect` when the data is unacceptable.
    """
    wanted = _heights(heights)
    if output_format is not None:
        output_format = output_format.upper()
        if output_format not in OUTPUT_FORMATS:
            raise ValueError(f"unknown output format {output_format!r}")
    if not wanted:
        return []
    if isinstance(source, Decoded):
        decoded = source
        if max(h for _, h in plan(decoded.info, wanted).values()) > decoded.serves_height:
            decoded = decode(decoded.data, wanted, limits=limits, options=options)
    else:
        decoded = decode(source, wanted, limits=limits, options=options)
    sizes = plan(decoded.info, wanted)
    fmt = output_format or decoded.info.thumbnail_format
    encoded = _encode_sizes(decoded, sorted(set(sizes.values())), fmt, options)
    return [
        RenderedThumbnail(
            requested_height=requested,
            width=sizes[requested][0],
            height=sizes[requested][1],
            format=fmt,
            mime_type=MIME_TYPES[fmt],
            content=encoded[sizes[requested]],
        )
        for requested in wanted
    ]


def _heights(heights: Iterable[int]) -> list[int]:
    heights = list(heights)
    for h in heights:
        if not isinstance(h, int) or isinstance(h, bool) or h < 1:
            raise ValueError(f"thumbnail heights must be positive integers, not {h!r}")
    return sorted(set(heights))


def _encode_sizes(
    decoded: Decoded, sizes: list[tuple[int, int]], fmt: str, options: ThumbnailOptions
) -> dict[tuple[int, int], bytes]:
    """Resample every (displayed) size from the working image, upright, sRGB, encoded."""
    swap = decoded.orientation in SWAPS_AXES
    stored = [stored_size(size, swap) for size in sizes]
    rendered = resize_all(decoded.image, decoded.box, stored, options.reducing_gap)
    encoded = {}
    for size, stored_as in zip(sizes, stored, strict=True):
        img = finish(rendered[stored_as])
        if decoded.orientation in TRANSPOSE:
            img = img.transpose(TRANSPOSE[decoded.orientation])
        elif img is decoded.image:
            img = img.copy()  # encode() clears .info: never touch the shared image
        img = to_srgb(img, decoded.icc)
        encoded[size] = encode(img, fmt, options)
    return encoded
