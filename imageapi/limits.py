"""The server-wide bounds every upload meets, read from settings here and nowhere else.

Functions rather than constants, so a changed setting (tests, ``override_settings``) is
seen at once. A tier may set a lower pixel cap; that is the tier policy's to apply
(:mod:`accounts.tiers.policy`).
"""

from django.conf import settings

from imageapi.errors import TooLarge

# Room for multipart boundaries and the other form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
MIB = 1024 * 1024


def max_upload_bytes() -> int:
    """The largest file a user may upload (``MAX_UPLOAD_BYTES``)."""
    return settings.MAX_UPLOAD_BYTES


def max_multipart_body() -> int:
    """The largest multipart request body: the file plus the form around it."""
    return max_upload_bytes() + MULTIPART_OVERHEAD


def max_other_body() -> int:
    """The largest request body that is not an upload (Django's own setting)."""
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def max_image_pixels() -> int:
    """The largest image the server decodes, in pixels (``MAX_IMAGE_PIXELS``)."""
    return settings.MAX_IMAGE_PIXELS


def upload_too_large(size: int | None = None) -> TooLarge:
    limit = max_upload_bytes()
    got = f"The file is {size:,} bytes; " if size is not None else "The file is too large; "
    return TooLarge(f"{got}the limit is {limit:,} bytes ({limit / MIB:g} MiB, MAX_UPLOAD_BYTES).")
