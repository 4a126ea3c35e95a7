"""Webhook writes: endpoints and their secrets, events turned into deliveries, attempts.

An event becomes one :class:`Delivery` row per subscribed endpoint, committed before
anything is sent; a worker then claims a due row (moving its ``next_attempt_at`` a lease
ahead), sends it, and records the outcome: done, due again after a backoff with jitter,
or failed once the retry schedule is spent. An endpoint whose attempts have all failed
for ``WEBHOOK_DISABLE_AFTER_SECONDS`` is disabled with the reason for its owner to read.
"""

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from imageapi.errors import Rejected
from imageapi.renderers import ORJSONRenderer
from webhooks import client, conf, selectors, signing, tasks
from webhooks.models import EVENTS, TEST_EVENT, Delivery, Endpoint

logger = logging.getLogger(__name__)
_jitter = secrets.SystemRandom()


# --- endpoints ------------------------------------------------------------------------


def _checked_url(url: str) -> str:
    try:
        client.validate_url(url)
    except client.UnsafeTarget as exc:
        raise Rejected(str(exc), code="unsafe_url", field="url") from exc
    return url


def _checked_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise Rejected(
            f"Choose events among {', '.join(EVENTS)}"
            + (f"; unknown: {', '.join(unknown)}." if unknown else "."),
            code="invalid_events",
            field="events",
        )
    return sorted(set(events))


def create_endpoint(owner: User, url: str, events: list[str]) -> tuple[Endpoint, str]:
    """A new endpoint of ``owner``'s and its secret (shown to them once)."""
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        owner=owner, url=_checked_url(url), events=_checked_events(events), secret=secret
    )
    return endpoint, secret


def update_endpoint(endpoint: Endpoint, **changes: Any) -> Endpoint:
    """Change ``url``, ``events`` or ``enabled``; enabling again clears the failure record."""
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"])
    if "events" in changes:
        endpoint.events = _checked_events(changes["events"])
    if "enabled" in changes:
        endpoint.enabled = bool(changes["enabled"])
        if endpoint.enabled:
            endpoint.disabled_reason = ""
            endpoint.failing_since = None
    endpoint.save()
    return endpoint


def delete_endpoint(endpoint: Endpoint) -> None:
    endpoint.delete()


def rotate_secret(endpoint: Endpoint, now: datetime | None = None) -> str:
    """A new secret (shown once); the current one keeps signing too for the overlap."""
    now = now or timezone.now()
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + timedelta(seconds=conf.secret_overlap_seconds())
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return secret


def signing_secrets(endpoint: Endpoint, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


# --- events ---------------------------------------------------------------------------


def event_id(event_type: str, subject: str) -> str:
    """The same event announced twice has one id, so it is delivered once."""
    digest = hashlib.sha256(f"{event_type}:{subject}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def emit(
    event_type: str,
    owner_id: int,
    subject: str,
    data: dict,
    endpoints: list[Endpoint] | None = None,
) -> list[int]:
    """Record a delivery of the event to each endpoint of the owner's that wants it, and
    send them once that commits. ``subject`` names what the event is about (stable)."""
    if endpoints is None:
        endpoints = list(selectors.subscribed_endpoints(owner_id, event_type))
    if not endpoints:
        return []
    now = timezone.now()
    msg_id = event_id(event_type, subject)
    body = (
        ORJSONRenderer()
        .render({"id": msg_id, "type": event_type, "timestamp": now, "data": data})
        .decode()
    )
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [
                Delivery(
                    endpoint=e,
                    event_id=msg_id,
                    event_type=event_type,
                    body=body,
                    next_attempt_at=now,
                )
                for e in endpoints
            ],
            ignore_conflicts=True,
        )
        ids = list(selectors.fresh_deliveries(msg_id, endpoints).values_list("pk", flat=True))
        tasks.enqueue(ids)
    return ids


def send_test(endpoint: Endpoint) -> Delivery:
    """Send a ``webhook.test`` event to the endpoint now and answer how it went; if the
    attempt fails it is retried like any delivery."""
    data = {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}
    [delivery_id] = emit(
        TEST_EVENT, endpoint.owner_id, secrets.token_hex(8), data, endpoints=[endpoint]
    )
    if not tasks.in_background():
        tasks.drain()
    return Delivery.objects.get(pk=delivery_id)


# --- attempts -------------------------------------------------------------------------


def claim(delivery_id: int, now: datetime) -> Delivery | None:
    """Take a due delivery for one attempt, or None if it is not due or another has it."""
    lease = now + timedelta(seconds=conf.lease_seconds())
    taken = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not taken:
        return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery_id)


def attempt(delivery_id: int) -> Delivery | None:
    """Make one attempt at a due delivery and record how it went."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        return _give_up(delivery, now, "The endpoint is disabled.")
    body = delivery.body.encode()
    headers = signing.headers(
        signing_secrets(endpoint, now), delivery.event_id, int(now.timestamp()), body
    )
    outcome = client.post(endpoint.url, body, headers)
    return record(delivery, outcome, timezone.now())


def record(delivery: Delivery, outcome: client.Outcome, now: datetime) -> Delivery:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_code = outcome.status
    delivery.response_body = outcome.body[:1024].decode("utf-8", "replace")[:1024]
    delivery.last_error = outcome.error[:500]
    if outcome.ok:
        delivery.status = Delivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        Endpoint.objects.filter(pk=delivery.endpoint_id).update(failing_since=None)
    else:
        delay = backoff(delivery.attempts)
        delivery.next_attempt_at = None if delay is None else now + timedelta(seconds=delay)
        if delay is None:
            delivery.status = Delivery.Status.FAILED
        _note_failure(delivery.endpoint_id, now, outcome.error)
    delivery.save()
    return delivery


def _give_up(delivery: Delivery, now: datetime, why: str) -> Delivery:
    delivery.status = Delivery.Status.FAILED
    delivery.next_attempt_at = None
    delivery.last_error = why
    delivery.save(update_fields=["status", "next_attempt_at", "last_error"])
    return delivery


def backoff(attempts: int) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones (+-10% jitter, so
    retries to one receiver spread out), or None when the schedule is spent."""
    schedule = conf.retry_schedule()
    if attempts > len(schedule):
        return None
    return schedule[attempts - 1] * _jitter.uniform(0.9, 1.1)


def _note_failure(endpoint_id: int, now: datetime, error: str) -> None:
    """Start the endpoint's failure record, and disable it once it is long enough."""
    Endpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=now)
    cutoff = now - timedelta(seconds=conf.disable_after_seconds())
    since = Endpoint.objects.filter(pk=endpoint_id).values_list("failing_since", flat=True).first()
    if since is None or since > cutoff:
        return
    reason = (
        f"Disabled on {now:%Y-%m-%d %H:%M} UTC: every delivery failed since "
        f"{since:%Y-%m-%d %H:%M} UTC (last: {error or 'no answer'})"[:440]
        + ". Enable it again once the receiver works."
    )
    Endpoint.objects.filter(pk=endpoint_id, enabled=True).update(
        enabled=False, disabled_reason=reason
    )
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Send the deliveries that are due (retries, and those a lost worker held); forget
    previous secrets whose overlap is over, and finished deliveries past the log's
    retention (a batch per sweep). Returns how many were sent on."""
    now = now or timezone.now()
    Endpoint.objects.filter(previous_secret_expires_at__lte=now).update(
        previous_secret="", previous_secret_expires_at=None
    )
    old = now - timedelta(days=conf.log_retention_days())
    Delivery.objects.filter(pk__in=list(selectors.finished_before(old)[:limit])).delete()
    due = list(selectors.due_deliveries(now)[:limit])
    tasks.enqueue(due)
    return len(due)
