"""Endpoints users register, and every delivery of an event to one of them.

A delivery's state lives here, not in a queue: the body that is signed and sent (the
same bytes on every attempt), how many attempts were made, and when the next is due.
Workers claim a due delivery by moving ``next_attempt_at`` forward (a lease), so a
worker that dies mid-attempt leaves a delivery that falls due again and is swept up.
"""

from django.conf import settings
from django.db import models

IMAGE_READY = "image.ready"
IMAGE_REJECTED = "image.rejected"
IMAGE_DELETED = "image.deleted"
# The events an endpoint may subscribe to, and what each means.
EVENTS = {
    IMAGE_READY: "An image was stored; its thumbnails exist or are being made",
    IMAGE_REJECTED: "An upload was refused while it was processed",
    IMAGE_DELETED: "An image was deleted",
}


# Sent on request only (API `test`, admin action, `manage.py webhook_test`); not subscribable.
TEST_EVENT = "webhook.test"


class Endpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text="Event types sent to this URL.")
    secret = models.CharField(max_length=100, editable=False)
    # During a rotation: the secret before, which still signs until it expires.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    # The first failed attempt since the last success; cleared by a success.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64)
    event_type = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON sent, byte for byte the same on every attempt.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=1024, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            # One delivery per event and endpoint, however often the event is announced.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="due_deliveries")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} to {self.endpoint_id}"
