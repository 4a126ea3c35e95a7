"""The read queries of webhooks, each written once."""

from datetime import datetime

from django.db.models import QuerySet

from accounts.models import User
from webhooks.models import Delivery, Endpoint


def owned_endpoints(user: User) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(owner=user)


def subscribed_endpoints(owner_id: int, event_type: str) -> list[Endpoint]:
    """The owner's enabled endpoints that asked for this event.

    Filtered in Python: a JSON ``contains`` lookup is not available on SQLite.
    """
    endpoints = Endpoint.objects.filter(owner_id=owner_id, enabled=True)
    return [e for e in endpoints if event_type in e.events]


def fresh_deliveries(event_id: str, endpoints: list[Endpoint]) -> QuerySet[Delivery]:
    """This event's deliveries to these endpoints that have not been attempted yet."""
    return Delivery.objects.filter(
        event_id=event_id, endpoint__in=endpoints, status=Delivery.Status.PENDING, attempts=0
    )


def due_deliveries(now: datetime) -> QuerySet:
    """Ids of pending deliveries whose next attempt is due, the longest waiting first."""
    return (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )


def deliveries_of(endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")


def finished_before(cutoff: datetime) -> QuerySet:
    """Ids of deliveries that succeeded or failed before ``cutoff``."""
    return Delivery.objects.filter(
        status__in=[Delivery.Status.SUCCEEDED, Delivery.Status.FAILED], created_at__lt=cutoff
    ).values_list("pk", flat=True)
