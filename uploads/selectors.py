"""The read queries of staged uploads, each written once."""

from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from uploads.models import Upload

HOLDING = (Upload.Status.PENDING, Upload.Status.PROCESSING)


def owned_uploads(user: User) -> QuerySet[Upload]:
    """The user's uploads; other users' do not exist for them."""
    return Upload.objects.filter(owner=user)


def pending_count(user: User) -> int:
    return owned_uploads(user).filter(status=Upload.Status.PENDING).count()


def oldest_pending_expiry(user: User) -> datetime | None:
    oldest = owned_uploads(user).filter(status=Upload.Status.PENDING).order_by("expires_at")
    return oldest.values_list("expires_at", flat=True).first()


def expired_pending(now: datetime) -> QuerySet[Upload]:
    """Pending uploads whose URL has expired."""
    return Upload.objects.filter(status=Upload.Status.PENDING, expires_at__lte=now)


def stale_processing(since: datetime) -> QuerySet[Upload]:
    """Uploads processing since before ``since``: their worker was lost."""
    return Upload.objects.filter(status=Upload.Status.PROCESSING, processing_since__lte=since)


def claimed_staging_keys(names: list[str]) -> set[str]:
    """Of these storage names, the staging keys of uploads still pending or processing."""
    if not names:
        return set()
    claimed = Upload.objects.filter(staging_key__in=names, status__in=HOLDING)
    return set(claimed.values_list("staging_key", flat=True))
