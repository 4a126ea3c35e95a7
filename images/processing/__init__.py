"""Pure image processing: validate uploads and render thumbnails.

Bytes and plain values go in; facts (:class:`ImageInfo`) and encoded thumbnails
(:class:`Thumbnail`) come out. Nothing here imports Django, touches storage or reads
settings, so every function is safe to call from a request, a Celery task or a script.

How an upload is handled:

1. Identify and bound, before any pixel is decoded: the format comes from the magic
   bytes (JPEG and PNG only), the dimensions from the file header (the JPEG SOF marker,
   the PNG IHDR chunk), and ``width * height`` is compared with ``max_pixels``.
2. Integrity is checked cheaply: a JPEG is decoded at 1/8 scale (DCT scaling still
   reads every scan, so truncation and broken entropy data are found, but the pixel
   buffer is 64 times smaller); a PNG has every chunk CRC checked and its image data
   stream inflated in small pieces that are thrown away, so no pixel buffer is built.
3. Thumbnails come from ONE decode. A JPEG is decoded with reduced-size (DCT) decoding
   sized for the largest thumbnail (with EXIF orientation taken into account), then
   each height is made with Lanczos resampling, largest first. Orientation is applied
   to the small results (a transpose is lossless, so this equals transposing first),
   colours are converted to sRGB, and the result is encoded with no metadata at all.

Thread safety: nothing here mutates process-global state. Pillow's own decompression
bomb guard (``PIL.Image.MAX_IMAGE_PIXELS``, a process global) is only *read*: the pixel
limit applied is the smaller of ``max_pixels`` and that global, and it is enforced on
the header before Pillow opens the file, so Pillow never gets to warn or raise. Should
it do so anyway (its warning turned into an error by a warnings filter), that is still
reported as :class:`ImageRejected` with code ``too_many_pixels``. The only shared
objects are caches of immutable colour profiles and transforms.

Modules, in the order an image meets them: ``headers`` (identify and bound),
``integrity`` (cheap full read), ``orientation`` (EXIF), ``resize`` (one decode, every
height), ``colour`` (to sRGB), ``encode`` (no metadata); ``pipeline`` strings them into
:func:`inspect` and :func:`render_thumbnails`; ``model`` holds the options, results
and the one error.
"""

from images.processing.model import (
    DECODE_ERRORS,
    EXTENSIONS,
    MIME_TYPES,
    ImageInfo,
    ImageRejected,
    Thumbnail,
    ThumbnailOptions,
)
from images.processing.pipeline import inspect, render_thumbnails
from images.processing.placeholder import placeholder
from images.processing.resize import plan_sizes

__all__ = [
    "DECODE_ERRORS",
    "EXTENSIONS",
    "MIME_TYPES",
    "ImageInfo",
    "ImageRejected",
    "Thumbnail",
    "ThumbnailOptions",
    "inspect",
    "placeholder",
    "plan_sizes",
    "render_thumbnails",
]
