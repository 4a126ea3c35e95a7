"""Pure image processing: validate uploads and render thumbnails.

Bytes and plain values go in; facts (:class:`ImageInfo`) and encoded thumbnails
(:class:`RenderedThumbnail`) come out. Nothing here imports Django, touches storage, reads
settings or reads a process global: every limit is a :class:`Limits` field the caller
passes in, so every function is safe to call from a request, a Celery task or a script.

How an upload is handled (``decode``, ``plan``, ``encode``):

1. Identify and bound, before any pixel is decoded (``headers``, ``budget``): the
   format comes from the magic bytes (JPEG and PNG only); a walk over every JPEG
   segment or PNG chunk finds the frame size (``max_pixels``), counts JPEG scans
   (``max_jpeg_scans``) and segments, checks PNG CRCs and inflated text and ICC sizes
   (``max_text_chunk``, ``max_text_total``); then the decoder's memory is estimated
   from the header (``max_decode_bytes``), counting progressive JPEG coefficient
   buffers and 16-bit samples.
2. Decode once (``decode``): a JPEG with reduced-size (DCT) decoding sized for the
   largest thumbnail (EXIF orientation taken into account), a PNG in full; then the
   image is normalised and box-reduced in strips, so no second full-size copy exists.
   Validation at upload runs this same step, so an accepted file always renders.
3. Plan and encode (``pipeline``): each height is made with Lanczos resampling,
   largest first, transposed upright (lossless, so it equals transposing first),
   converted to sRGB (``colour``) and encoded with no metadata at all (``encode``).

Pillow's own bomb guard (``PIL.Image.MAX_IMAGE_PIXELS``) stays in force underneath:
should it fire (a lower global, or its warning made an error by a warnings filter),
that is reported as :class:`ImageRejected` with code ``too_many_pixels``.

Modules: ``formats`` (the one format table), ``types`` (limits, options, results),
``errors`` (the one error), ``headers``, ``budget``, ``decode``, ``resize``,
``orientation``, ``colour``, ``encode``, and ``pipeline``, which strings them into
:func:`inspect` and :func:`render_thumbnails`.
"""

from images.processing.decode import Decoded, decode
from images.processing.errors import DECODE_ERRORS, ImageRejected
from images.processing.formats import (
    EXTENSIONS,
    FORMATS,
    MIME_TYPES,
    OUTPUT_FORMATS,
    SOURCE_FORMATS,
    Format,
    spoken_list,
)
from images.processing.pipeline import inspect, plan, render_thumbnails
from images.processing.placeholder import placeholder
from images.processing.resize import plan_sizes
from images.processing.types import ImageInfo, Limits, RenderedThumbnail, ThumbnailOptions

__all__ = [
    "DECODE_ERRORS",
    "EXTENSIONS",
    "FORMATS",
    "MIME_TYPES",
    "OUTPUT_FORMATS",
    "SOURCE_FORMATS",
    "Decoded",
    "Format",
    "ImageInfo",
    "ImageRejected",
    "Limits",
    "RenderedThumbnail",
    "ThumbnailOptions",
    "decode",
    "inspect",
    "placeholder",
    "plan",
    "plan_sizes",
    "render_thumbnails",
    "spoken_list",
]
