"""The one error processing raises for bad input, and the exceptions that mean it."""

from __future__ import annotations

import struct
import zlib
from functools import partial


class ImageRejected(ValueError):
    """Input is not an acceptable image. str(exc) is a sentence a person can act on."""

    EMPTY = "empty"
    UNSUPPORTED_FORMAT = "unsupported_format"
    CORRUPT = "corrupt"
    TOO_MANY_PIXELS = "too_many_pixels"
    TOO_MANY_SCANS = "too_many_scans"
    TOO_COSTLY = "decode_too_costly"
    METADATA_TOO_LARGE = "metadata_too_large"
    TOO_MANY_FRAMES = "too_many_frames"
    TOO_MANY_TILES = "too_many_tiles"

    code: str
    # With TOO_MANY_PIXELS: the image's pixel count, read from its header.
    pixels: int | None

    def __init__(self, message: str, *, code: str, pixels: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.pixels = pixels

    def __reduce__(self):
        # Picklable (task queues send exceptions across processes) despite the keywords.
        return (partial(type(self), code=self.code, pixels=self.pixels), (str(self),))


# What Pillow, zlib and struct raise for malformed data. IndexError, KeyError and
# TypeError come out of Pillow's plugins for some damaged headers (found by fuzzing);
# RuntimeError is how libavif (Pillow's AVIF plugin) and libheif (pi-heif) report
# damaged files and their own security limits. They are input errors there, never
# bugs of ours, because the decode step calls nothing but the decoders in its try block.
DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    RuntimeError,
    struct.error,
    zlib.error,
)


def corrupt(fmt: str, why: str = "") -> ImageRejected:
    detail = f" ({why})" if why else ""
    return ImageRejected(
        f"The {fmt} image is truncated or damaged and cannot be read{detail}. Check that "
        "the file opens in an image viewer and upload the complete file again.",
        code=ImageRejected.CORRUPT,
    )


def too_many_pixels(width: int, height: int, limit: int) -> ImageRejected:
    return ImageRejected(
        f"The image is {width}x{height}, which is {width * height:,} pixels; the limit is "
        f"{limit:,} pixels (MAX_IMAGE_PIXELS). Scale it down and upload it again.",
        code=ImageRejected.TOO_MANY_PIXELS,
        pixels=width * height,
    )


def too_many_pixels_from_pillow(exc: Exception) -> ImageRejected:
    """Pillow's own bomb guard (a process global we never rely on) fired anyway."""
    return ImageRejected(
        f"The image has too many pixels to be processed safely ({exc}). Scale it down and "
        "upload it again.",
        code=ImageRejected.TOO_MANY_PIXELS,
    )
