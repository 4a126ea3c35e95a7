"""Per-tier upload limits: images and bytes stored, uploads per hour, the pixel cap.

Two calls from the upload service. ``check_upload`` refuses early, before an upload is
decoded and stored, when its owner is already at a limit; it takes no lock, so it can
only say no too late, never wrongly. ``claim_upload`` decides, inside the transaction
that creates the image row: it locks the owner's row (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite's IMMEDIATE transactions already serialize writers), counts again,
and records the upload. Two uploads racing for the last slot therefore take turns, and
the second one sees the first.

Uploads per hour count accepted uploads in any 60 minutes, from a log that deleting
images does not shorten. Over a rate answers 429 with ``Retry-After`` and ``RateLimit-*``
headers; over a quota answers 403 naming the limit and the usage. The pixel cap is
applied from the image's header, before decoding (the upload service passes
:attr:`Entitlements.max_pixels` into the decode limits); the claim checks it again, as
the tier may have changed meanwhile.

Stored images are counted through the user's reverse relation ``images`` (declared by
the image model's owner key), so this package needs no import of the images app. Staged
uploads (sent straight to storage, validated afterwards) hold a reservation from the
moment their upload URL is handed out until they end: the reverse relation
``staged_uploads`` rows whose ``reserved_bytes`` is set count as images and bytes, so
uploads racing for the last slot cannot over-commit. ``reserve`` takes one, under the
same lock as ``claim_upload``.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Min, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import UploadRecord, User
from accounts.tiers.policy import Entitlements, entitlements
from imageapi.errors import NotAllowed, RateLimited

WINDOW = timedelta(hours=1)
WINDOW_SECONDS = int(WINDOW.total_seconds())


@dataclass(frozen=True)
class Usage:
    """What a user has stored and uploaded, against their tier's limits."""

    images: int
    bytes: int
    uploads_in_window: int
    # Seconds until the oldest upload of the last hour stops counting (None: no uploads).
    window_frees_in: int | None
    # Staged uploads holding room for an image not stored yet.
    reserved_images: int = 0
    reserved_bytes: int = 0

    def bytes_left(self, allowed: Entitlements) -> int | None:
        """Bytes the user may still store, reservations included (None: unlimited)."""
        if allowed.max_bytes is None:
            return None
        return max(0, allowed.max_bytes - self.bytes - self.reserved_bytes)


def usage(user: User, *, now: datetime | None = None) -> Usage:
    """The user's usage, in one query."""
    now = now or timezone.now()
    stored = user.images.order_by().values("owner").annotate(count=Count("pk"), bytes=Sum("size"))
    recent = (
        UploadRecord.objects.filter(user=user, at__gt=now - WINDOW)
        .order_by()
        .values("user")
        .annotate(count=Count("pk"), oldest=Min("at"))
    )
    reserved = (
        user.staged_uploads.filter(reserved_bytes__isnull=False)
        .order_by()
        .values("owner")
        .annotate(count=Count("pk"), bytes=Sum("reserved_bytes"))
    )
    row = (
        User.objects.filter(pk=user.pk)
        .values(
            stored_images=Coalesce(Subquery(stored.values("count")), 0),
            stored_bytes=Coalesce(Subquery(stored.values("bytes")), 0),
            recent_uploads=Coalesce(Subquery(recent.values("count")), 0),
            oldest_upload=Subquery(recent.values("oldest")),
            reserved_images=Coalesce(Subquery(reserved.values("count")), 0),
            reserved_bytes=Coalesce(Subquery(reserved.values("bytes")), 0),
        )
        .get()
    )
    frees_in = None
    if row["oldest_upload"] is not None:
        frees_in = max(1, math.ceil((row["oldest_upload"] + WINDOW - now).total_seconds()))
    return Usage(
        images=row["stored_images"],
        bytes=row["stored_bytes"],
        uploads_in_window=row["recent_uploads"],
        window_frees_in=frees_in,
        reserved_images=row["reserved_images"],
        reserved_bytes=row["reserved_bytes"],
    )


def forget_old_uploads(now: datetime | None = None) -> int:
    """Remove upload records older than the rate window (they no longer count)."""
    cutoff = (now or timezone.now()) - WINDOW
    return UploadRecord.objects.filter(at__lte=cutoff).delete()[0]


def check_upload(user: User, *, size: int) -> None:
    """Refuse an upload its owner has no room for, before any work is done on it."""
    enforce(entitlements(user), usage(user), size=size)


def claim_upload(user: User, *, size: int, pixels: int | None = None) -> "UploadRate | None":
    """Take an upload slot for the image row the surrounding transaction creates.

    Raises ``RateLimited`` or ``NotAllowed``, which rolls the transaction back. Returns
    the hourly rate left after this upload (None when the tier does not limit it).
    """
    _lock_owner(user, "claim_upload")
    now = timezone.now()
    allowed, used = entitlements(user), usage(user, now=now)
    enforce(allowed, used, size=size, pixels=pixels)
    UploadRecord.objects.create(user=user, at=now)
    return _rate(allowed, used.uploads_in_window + 1, used.window_frees_in or WINDOW_SECONDS)


@dataclass(frozen=True)
class UploadRate:
    """Where a user stands against their tier's hourly upload rate."""

    limit: int
    remaining: int
    # Seconds until the oldest upload of the window stops counting (0: none counts).
    reset: int
    window: int


def _rate(allowed: Entitlements, uploads: int, frees_in: int) -> UploadRate | None:
    if allowed.uploads_per_hour is None:
        return None
    return UploadRate(
        limit=allowed.uploads_per_hour,
        remaining=max(0, allowed.uploads_per_hour - uploads),
        reset=frees_in,
        window=WINDOW_SECONDS,
    )


def reserve(user: User, *, size: int) -> Usage:
    """Check that a staged upload of ``size`` bytes fits, under the owner's lock.

    Call it in the transaction that records the reservation (a ``staged_uploads`` row
    with ``reserved_bytes``); returns the usage it was judged against, reservations of
    other uploads included. Raises ``RateLimited`` or ``NotAllowed``.
    """
    _lock_owner(user, "reserve")
    used = usage(user)
    enforce(entitlements(user), used, size=size)
    return used


def _lock_owner(user: User, caller: str) -> None:
    if not transaction.get_connection().in_atomic_block:  # the lock would end at once
        raise RuntimeError(f"{caller} must run in the transaction that records its row")
    if transaction.get_connection().features.has_select_for_update:
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
    # (SQLite has no row locks: its IMMEDIATE transactions already let one writer in.)


def enforce(allowed: Entitlements, used: Usage, *, size: int, pixels: int | None = None) -> None:
    """Raise the refusal for the first limit this upload would pass, if any."""
    tier = allowed.tier_name
    if allowed.uploads_per_hour is not None and used.uploads_in_window >= allowed.uploads_per_hour:
        retry = used.window_frees_in or 1
        raise RateLimited(
            f"Your tier ({tier}) allows {counted(allowed.uploads_per_hour, 'upload')} per hour and "
            f"you have made {used.uploads_in_window:,} in the last hour; "
            f"try again in {retry} seconds.",
            code="upload_rate",
            retry_after=retry,
            limit=allowed.uploads_per_hour,
            remaining=0,
            window=int(WINDOW.total_seconds()),
        )
    images, stored = used.images + used.reserved_images, used.bytes + used.reserved_bytes
    if allowed.max_images is not None and images >= allowed.max_images:
        raise NotAllowed(
            f"Your tier ({tier}) allows {counted(allowed.max_images, 'stored image')} and you have "
            f"{used.images:,}{_pending(used.reserved_images, 'upload')}. "
            "Delete some images or move to a larger tier.",
            code="image_quota",
        )
    if allowed.max_bytes is not None and stored + size > allowed.max_bytes:
        raise NotAllowed(
            f"Your tier ({tier}) allows {_bytes(allowed.max_bytes)} of stored originals; "
            f"you store {_bytes(used.bytes)}{_pending(used.reserved_bytes, 'bytes')} "
            f"and this upload is {_bytes(size)}. Delete some images or move to a larger tier.",
            code="storage_quota",
        )
    if pixels is not None and (refusal := allowed.pixels_refused(pixels)) is not None:
        raise refusal


def counted(n: int, noun: str) -> str:
    """``1 upload``, ``1,000 uploads``: a count with its noun in the right number."""
    return f"{n:,} {ngettext(noun, noun + 's', n)}"


def _pending(amount: int, unit: str) -> str:
    """How much staged uploads hold, for the refusal's message ("" when nothing)."""
    if not amount:
        return ""
    if unit == "bytes":
        return f" (plus {_bytes(amount)} held by uploads in progress)"
    return f" (plus {amount:,} upload{'s' if amount != 1 else ''} in progress)"


def _bytes(n: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.4g} {unit} ({n:,} bytes)"
    return f"{n:,} bytes"
