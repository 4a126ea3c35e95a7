import uuid

from django.conf import settings
from django.db import models


class Upload(models.Model):
    """A staged upload: bytes sent straight to storage under ``staging_key``, then validated.

    While ``reserved_bytes`` is set the upload holds room in its owner's quota (one image
    and that many bytes; :mod:`accounts.tiers.quotas` counts it through ``staged_uploads``).
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # the upload URL is out; no completion yet
        PROCESSING = "processing"  # completed; a worker validates and stores it
        READY = "ready"  # the image exists
        REJECTED = "rejected"  # refused, with the code and message a direct upload gets
        EXPIRED = "expired"  # never completed before its URL expired

    # Random: the public handle and the staging key's name, so neither can be guessed.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staged_uploads"
    )
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(help_text="Bytes the client declared it will send.")
    staging_key = models.CharField(max_length=255, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reserved_bytes = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Quota held while pending or processing; empty after."
    )
    image = models.ForeignKey(
        "images.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times processing was started (a lost worker's task is redone)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="The upload URL stops working then.")
    processing_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "status"], name="upload_owner_status"),
            models.Index(fields=["status", "expires_at"], name="upload_status_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.status} upload {self.pk} ({self.size:,} bytes)"


class IdempotentRequest(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed on retries.

    Unique per user and key: of requests racing with one key, one inserts the row (the
    others wait on the unique index, then read its answer).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotent_requests"
    )
    key = models.CharField(max_length=255)
    # What the request asked: the same key with another request is refused (422).
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.key} -> {self.status_code}"
