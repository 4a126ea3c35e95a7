"""The writes of staged uploads: reserve, receive, complete, process, expire. No HTTP here.

An upload holds room in its owner's quota from the moment its URL is handed out
(``reserved_bytes``) until it ends: ready (the image takes the room), rejected or expired
(the room is given back). Every change of status happens under the upload's row lock, so
a completion, a worker, a redelivered worker and the sweeps cannot both act on it.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import IO

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.tiers import entitlements, quotas
from imageapi import limits
from imageapi.errors import (
    Conflict,
    Gone,
    NotFound,
    RateLimited,
    Rejected,
    ServiceError,
    TooLarge,
    Unavailable,
)
from images import services as images
from images.models import Image
from uploads import conf, selectors, signals, targets, tasks
from uploads.idempotency import forget_old_answers
from uploads.models import Upload

logger = logging.getLogger(__name__)

EXPIRED = "This upload expired before it was completed; start a new one."
BATCH = 500


class UploadEnded(Exception):
    """Raised inside the image's transaction when the upload ended meanwhile (rolls back)."""


@dataclass(frozen=True)
class Started:
    upload: Upload
    target: targets.Target
    expires_in: int


def start_upload(owner: User, *, size: int, filename: str, base_url: str) -> Started:
    """Reserve room for a file of ``size`` bytes and say where to send it.

    Refused like a direct upload would be (413 over ``MAX_UPLOAD_BYTES``, 403 over a
    quota, 429 over the rate), and 429 past ``MAX_PENDING_UPLOADS`` pending uploads.
    """
    if size > limits.max_upload_bytes():
        raise limits.upload_too_large(size)
    _expire_due(selectors.expired_pending(timezone.now()).filter(owner=owner))
    seconds = conf.url_seconds()
    upload_id = uuid.uuid4()
    with transaction.atomic():
        used = quotas.reserve(owner, size=size)  # locks the owner: racing uploads take turns
        _refuse_too_many_pending(owner)
        room = used.bytes_left(entitlements(owner))
        cap = limits.max_upload_bytes() if room is None else min(limits.max_upload_bytes(), room)
        upload = Upload.objects.create(
            id=upload_id,
            owner=owner,
            filename=filename[:255],
            size=size,
            staging_key=targets.staging_key(upload_id.hex),
            reserved_bytes=size,
            expires_at=timezone.now() + timedelta(seconds=seconds),
        )
    target = targets.target_for(upload, max_bytes=cap, seconds=seconds, base_url=base_url)
    return Started(upload, target, seconds)


def _refuse_too_many_pending(owner: User) -> None:
    pending = selectors.pending_count(owner)
    if pending < conf.max_pending():
        return
    oldest = selectors.oldest_pending_expiry(owner)
    retry = int((oldest - timezone.now()).total_seconds()) + 1 if oldest else 1
    raise RateLimited(
        f"You have {pending:,} uploads waiting for their files (at most {conf.max_pending():,}). "
        "Complete them or let them expire, then start another.",
        code="too_many_pending",
        retry_after=retry,
        limit=conf.max_pending(),
        remaining=0,
    )


def receive_content(upload_id: str, token: str, stream: IO[bytes], length: int | None) -> int:
    """Store the body of a ``PUT`` to a signed upload URL (local storage); the bytes stored."""
    bound = targets.verify_put(token, upload_id, seconds=conf.url_seconds())
    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is None:
        raise NotFound("Not found.")
    _refuse_unless_pending(upload)
    if length is None:
        raise Rejected("Send the file with a Content-Length header.", code="length_required")
    if length > bound:
        raise TooLarge(f"The file is {length:,} bytes; this upload takes at most {bound:,}.")
    return targets.receive(upload, stream, limit=bound)


def _refuse_unless_pending(upload: Upload) -> None:
    """Gone when expired (expiring it now if it is due), Conflict once completed."""
    if upload.status == Upload.Status.PENDING and upload.expires_at <= timezone.now():
        _expire_due(Upload.objects.filter(pk=upload.pk))
        raise Gone(EXPIRED, code="upload_expired")
    if upload.status == Upload.Status.EXPIRED:
        raise Gone(EXPIRED, code="upload_expired")
    if upload.status != Upload.Status.PENDING:
        raise Conflict(
            f"This upload was already completed (it is {upload.status}); "
            "start a new upload to send another file.",
            code="already_completed",
        )


def status_of(owner: User, upload_id: str) -> Upload:
    """The owner's upload as it stands; Gone once it expired uncompleted."""
    upload = selectors.owned_uploads(owner).filter(pk=upload_id).first()
    if upload is None:
        raise NotFound("Not found.")
    if upload.status == Upload.Status.PENDING and upload.expires_at <= timezone.now():
        _expire_due(Upload.objects.filter(pk=upload.pk))
        raise Gone(EXPIRED, code="upload_expired")
    if upload.status == Upload.Status.EXPIRED:
        raise Gone(EXPIRED, code="upload_expired")
    return upload


def complete(owner: User, upload_id: str) -> Upload:
    """The file has been sent: check it arrived and queue its validation."""
    upload = selectors.owned_uploads(owner).filter(pk=upload_id).first()
    if upload is None:
        raise NotFound("Not found.")
    _refuse_unless_pending(upload)
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        _refuse_unless_pending(upload)  # again, under the lock: one completion wins
        if targets.staged_size(upload) is None:
            raise Conflict(
                "No file has arrived for this upload yet: send it to the upload URL first, "
                "then complete the upload.",
                code="nothing_uploaded",
            )
        upload.status = Upload.Status.PROCESSING
        upload.processing_since = timezone.now()
        upload.attempts += 1
        upload.save(update_fields=["status", "processing_since", "attempts"])
        tasks.schedule_processing(str(upload.pk))
    return upload


def process(upload_id: str) -> None:
    """Validate the staged file as a direct upload is validated, and store the image.

    Idempotent: an upload no longer processing is left alone, and the image is recorded
    only if the upload is still processing under its row lock (else it is undone).
    Outages raise (the task retries); refusals end the upload ``rejected``.
    """
    upload = Upload.objects.select_related("owner__tier").filter(pk=upload_id).first()
    if upload is None or upload.status != Upload.Status.PROCESSING:
        return
    try:
        data = _staged_bytes(upload)
        images.store_image(
            upload.owner,
            data,
            before_claim=partial(_take_over, upload.pk),
            after_create=partial(_mark_ready, upload.pk),
        )
    except UploadEnded:
        logger.info("upload %s ended meanwhile; its image was undone", upload_id)
    except Unavailable:
        raise
    except ServiceError as exc:
        _reject(upload.pk, exc)


def _staged_bytes(upload: Upload) -> bytes:
    """The staged file, if it is the one declared and within ``MAX_UPLOAD_BYTES``."""
    limit = limits.max_upload_bytes()
    size = targets.staged_size(upload)
    if size is None:
        raise Rejected("The file of this upload is no longer there.", code="nothing_uploaded")
    if size > limit:
        raise limits.upload_too_large(size)
    data = targets.read_staged(upload, limit=limit)
    if len(data) > limit:
        raise limits.upload_too_large(len(data))
    if len(data) != upload.size:
        raise Rejected(
            f"The file that arrived is {len(data):,} bytes, but {upload.size:,} were declared. "
            "Start a new upload for a different file.",
            code="size_mismatch",
            field="image",
        )
    return data


def _take_over(upload_id: uuid.UUID) -> None:
    """In the image's transaction, before the quota claim: give the reservation back
    (the image takes its place), unless the upload ended meanwhile."""
    locked = Upload.objects.select_for_update().get(pk=upload_id)
    if locked.status != Upload.Status.PROCESSING:
        raise UploadEnded(upload_id)
    locked.reserved_bytes = None
    locked.save(update_fields=["reserved_bytes"])


def _mark_ready(upload_id: uuid.UUID, image: Image) -> None:
    now = timezone.now()
    Upload.objects.filter(pk=upload_id).update(
        status=Upload.Status.READY, image=image, finished_at=now
    )

    def announce() -> None:
        upload = Upload.objects.get(pk=upload_id)
        targets.discard(upload)
        _send(signals.upload_ready, upload=upload, image=image)

    transaction.on_commit(announce)


def _reject(upload_id: uuid.UUID, error: ServiceError) -> None:
    """End the upload with the refusal a direct upload would get; give its room back."""
    with transaction.atomic():
        locked = Upload.objects.select_for_update().filter(pk=upload_id).first()
        if locked is None or locked.status != Upload.Status.PROCESSING:
            return
        locked.status = Upload.Status.REJECTED
        locked.reserved_bytes = None
        locked.error_code, locked.error_message = error.code, error.message
        locked.finished_at = timezone.now()
        locked.save()
        code, message = error.code, error.message

        def announce() -> None:
            targets.discard(locked)
            _send(signals.upload_rejected, upload=locked, code=code, message=message)

        transaction.on_commit(announce)


def _send(signal, **kwargs) -> None:
    for receiver, outcome in signal.send_robust(sender=Upload, **kwargs):
        if isinstance(outcome, Exception):
            logger.error("a receiver of an upload signal failed: %r", receiver, exc_info=outcome)


def _expire_due(uploads, now: datetime | None = None) -> int:
    """Expire the given uploads that are pending past their URL; their room and files go."""
    now = now or timezone.now()
    expired = 0
    for upload_id in list(uploads.values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            locked = Upload.objects.select_for_update().filter(pk=upload_id).first()
            if locked is None or locked.status != Upload.Status.PENDING:
                continue
            if locked.expires_at > now:
                continue
            locked.status = Upload.Status.EXPIRED
            locked.reserved_bytes = None
            locked.finished_at = now
            locked.save(update_fields=["status", "reserved_bytes", "finished_at"])
            transaction.on_commit(partial(targets.discard, locked))
            expired += 1
    return expired


def _requeue_stale(now: datetime) -> tuple[int, int]:
    """Processing uploads whose worker was lost: queued again, or rejected after the
    last attempt. Returns (requeued, rejected)."""
    requeued = rejected = 0
    cutoff = now - timedelta(seconds=conf.stale_seconds())
    for upload_id in list(selectors.stale_processing(cutoff).values_list("pk", flat=True)[:BATCH]):
        with transaction.atomic():
            locked = Upload.objects.select_for_update().filter(pk=upload_id).first()
            if locked is None or locked.status != Upload.Status.PROCESSING:
                continue
            if locked.processing_since and locked.processing_since > cutoff:
                continue
            if locked.attempts >= conf.max_attempts():
                failed = Rejected(
                    f"Processing this upload failed {locked.attempts} times; upload it again.",
                    code="processing_failed",
                )
                transaction.on_commit(partial(_reject, locked.pk, failed))
                rejected += 1
                continue
            locked.attempts += 1
            locked.processing_since = now
            locked.save(update_fields=["attempts", "processing_since"])
            tasks.schedule_processing(str(locked.pk))
            requeued += 1
    return requeued, rejected


@dataclass(frozen=True)
class Swept:
    expired: int
    requeued: int
    rejected: int
    forgotten_keys: int


def housekeeping(now: datetime | None = None) -> Swept:
    """Expire pending uploads past their URL, requeue (or reject) lost processing, and
    forget idempotent answers older than ``IDEMPOTENCY_KEY_SECONDS``."""
    now = now or timezone.now()
    expired = _expire_due(selectors.expired_pending(now), now)
    requeued, rejected = _requeue_stale(now)
    forgotten = forget_old_answers(now - timedelta(seconds=conf.idempotency_seconds()))
    return Swept(expired, requeued, rejected, forgotten)
