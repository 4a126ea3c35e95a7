"""The staged-upload settings, read here and nowhere else (functions: tests change them)."""

from django.conf import settings


def url_seconds() -> int:
    """How long an upload URL works (``UPLOAD_URL_SECONDS``)."""
    return settings.UPLOAD_URL_SECONDS


def max_pending() -> int:
    """Pending uploads one user may hold (``MAX_PENDING_UPLOADS``)."""
    return settings.MAX_PENDING_UPLOADS


def stale_seconds() -> int:
    """When a processing upload counts as lost (``UPLOAD_STALE_SECONDS``)."""
    return settings.UPLOAD_STALE_SECONDS


def max_attempts() -> int:
    """Times processing is started before the upload is rejected (``UPLOAD_MAX_ATTEMPTS``)."""
    return settings.UPLOAD_MAX_ATTEMPTS


def idempotency_seconds() -> int:
    """How long first answers are kept for retries (``IDEMPOTENCY_KEY_SECONDS``)."""
    return settings.IDEMPOTENCY_KEY_SECONDS
