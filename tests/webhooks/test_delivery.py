"""Events reach a real receiver, signed, retried until it answers, logged, and given up on.

These tests commit (transactional_db): deliveries go out after the transaction that
recorded them commits, from the in-process delivery threads.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from images import signals as image_signals
from tests.conftest import image_bytes
from tests.webhooks.conftest import hang
from webhooks import services, tasks
from webhooks.models import Delivery, Endpoint
from webhooks.verify import verify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_receivers"),
]
WEBHOOKS = "/api/user/webhooks/"
ALL_EVENTS = ["image.ready", "image.rejected", "image.deleted"]


def register(client, url: str, events=ALL_EVENTS) -> dict:
    answer = client.post(WEBHOOKS, {"url": url, "events": events}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def received_events(receiver, secret: str) -> list[dict]:
    """The receiver's requests, each checked with the README's verifier."""
    events = []
    for request in receiver.requests:
        verify(secret, request.headers, request.body)
        events.append(json.loads(request.body))
    return events


def test_each_event_arrives_signed(client_for, upload, make_receiver, settle):
    receiver = make_receiver(200)
    client = client_for("Premium")
    endpoint = register(client, receiver.url())

    uploaded = upload(client, image_bytes(800, 600))
    assert uploaded.status_code == 201
    image = uploaded.json()
    settle()
    image_signals.announce_rejected(client.user, "upl_42", "corrupt", "The file is truncated.")
    settle()
    assert client.delete(f"/api/user/images/{image['id']}/").status_code == 204
    settle()

    ready, rejected, deleted = received_events(receiver, endpoint["secret"])
    assert [ready["type"], rejected["type"], deleted["type"]] == ALL_EVENTS
    owner = {"id": client.user.pk, "username": client.user.username}
    # The image as the API shows it, with links under PUBLIC_BASE_URL.
    shown = json.loads(json.dumps(image).replace("http://testserver", "https://images.example.com"))
    assert ready["data"] == {"image": shown, "owner": owner}
    assert rejected["data"] == {
        "upload": {"id": "upl_42"},
        "error": {"code": "corrupt", "detail": "The file is truncated."},
        "owner": owner,
    }
    assert deleted["data"] == {"image": {"id": image["id"]}, "owner": owner}
    for event, request in zip([ready, rejected, deleted], receiver.requests, strict=True):
        assert event["id"] == request.headers["webhook-id"]
        assert event["id"].startswith("msg_") and event["timestamp"].endswith("Z")
        assert request.headers["Content-Type"] == "application/json"
    log = client.get(f"{WEBHOOKS}{endpoint['id']}/deliveries/").json()
    assert [(d["event_type"], d["status"], d["attempts"], d["response_code"]) for d in log] == [
        ("image.deleted", "succeeded", 1, 200),
        ("image.rejected", "succeeded", 1, 200),
        ("image.ready", "succeeded", 1, 200),
    ]


def test_only_the_events_asked_for_are_sent(client_for, upload, make_receiver, settle):
    receiver = make_receiver(200)
    client = client_for("Basic")
    register(client, receiver.url(), events=["image.deleted"])
    upload(client)
    settle()
    assert receiver.requests == []


def test_an_image_announced_twice_is_delivered_once(client_for, upload, make_receiver, settle):
    receiver = make_receiver(200)
    client = client_for("Basic")
    register(client, receiver.url(), events=["image.ready"])
    upload(client)
    settle()
    from images.models import Image

    image_signals.announce_ready(Image.objects.get())  # e.g. the uploads app again
    settle()
    assert len(receiver.requests) == 1


def test_a_receiver_failing_twice_gets_the_same_event_three_times(
    client_for, upload, make_receiver, settle
):
    receiver = make_receiver(500, 503, 204)
    client = client_for("Basic")
    endpoint = register(client, receiver.url(), events=["image.ready"])
    upload(client)
    settle()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error == "answered 500"

    for _ in range(2):  # the retries are due at once under this schedule
        assert services.sweep() == 1
        settle()

    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    assert {r.body for r in receiver.requests} == {receiver.requests[0].body}
    for request in receiver.requests:  # signed afresh at each attempt
        verify(endpoint["secret"], request.headers, request.body)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 3, 204)
    assert Endpoint.objects.get().failing_since is None
    assert services.sweep() == 0


def test_a_delivery_is_marked_failed_when_the_schedule_is_spent(
    client_for, make_receiver, settle, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]
    receiver = make_receiver(500)
    client = client_for("Basic")
    register(client, receiver.url())
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    while services.sweep():
        settle()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert len(receiver.requests) == 3


def test_retries_back_off_with_jitter(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800]
    delays = [services.backoff(n) for n in (1, 2, 3, 4)]
    assert 4.5 <= delays[0] <= 5.5 and 270 <= delays[1] <= 330 and 1620 <= delays[2] <= 1980
    assert delays[3] is None
    assert len({services.backoff(2) for _ in range(20)}) > 1


def test_an_endpoint_failing_for_days_is_disabled_with_a_reason(
    client_for, make_receiver, settle, settings
):
    settings.WEBHOOK_RETRY_SCHEDULE = [3600] * 10
    receiver = make_receiver(500)
    client = client_for("Basic")
    endpoint = register(client, receiver.url())
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    assert Endpoint.objects.get().enabled  # one failure is not days of them
    four_days_ago = timezone.now() - timedelta(days=4)
    Endpoint.objects.update(failing_since=four_days_ago)
    Delivery.objects.update(next_attempt_at=four_days_ago)
    services.sweep()
    settle()

    shown = client.get(f"{WEBHOOKS}{endpoint['id']}/").json()
    assert shown["enabled"] is False
    assert "every delivery failed since" in shown["disabled_reason"]
    assert "answered 500" in shown["disabled_reason"]
    # Nothing more is sent to it; enabling it again starts afresh.
    image_signals.announce_rejected(client.user, "u2", "corrupt", "bad")
    settle()
    assert len(receiver.requests) == 2
    client.patch(f"{WEBHOOKS}{endpoint['id']}/", {"enabled": True}, format="json")
    image_signals.announce_rejected(client.user, "u3", "corrupt", "bad")
    settle()
    assert len(receiver.requests) == 3


def test_a_success_clears_the_failure_record(client_for, make_receiver, settle):
    receiver = make_receiver(500, 200)
    client = client_for("Basic")
    register(client, receiver.url())
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    assert Endpoint.objects.get().failing_since is not None
    services.sweep()
    settle()
    assert Endpoint.objects.get().failing_since is None


def test_a_receiver_that_never_answers_costs_the_timeout_only(
    client_for, make_receiver, settle, settings
):
    settings.WEBHOOK_TOTAL_TIMEOUT = 1.0
    receiver = make_receiver(hang)
    client = client_for("Basic")
    register(client, receiver.url())
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "no complete answer within 1 s"
    assert receiver.got_request.is_set() and not receiver.finished  # it was still holding on


def test_rotation_signs_with_both_secrets_during_the_overlap(client_for, make_receiver, settle):
    receiver = make_receiver(200)
    client = client_for("Basic")
    endpoint = register(client, receiver.url())
    rotated = client.post(f"{WEBHOOKS}{endpoint['id']}/rotate/").json()
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_secret_valid_until"]
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split()) == 2
    verify(endpoint["secret"], request.headers, request.body)  # receivers not yet updated
    verify(rotated["secret"], request.headers, request.body)  # receivers already updated

    # Once the overlap is over, only the new secret signs.
    Endpoint.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    services.sweep()
    image_signals.announce_rejected(client.user, "u2", "corrupt", "bad")
    settle()
    assert len(receiver.requests[1].headers["webhook-signature"].split()) == 1
    assert Endpoint.objects.get().previous_secret == ""


def test_a_test_event_is_sent_on_request(client_for, make_receiver):
    receiver = make_receiver(200)
    client = client_for("Basic")
    endpoint = register(client, receiver.url())
    answer = client.post(f"{WEBHOOKS}{endpoint['id']}/test/")
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["response_code"]) == ("succeeded", 200)
    [event] = received_events(receiver, endpoint["secret"])
    assert event["type"] == "webhook.test"


def test_the_host_header_and_resolved_address_are_the_checked_ones(
    client_for, make_receiver, settle, dns_server
):
    dns_server.names["cms.example.test"] = ["127.0.0.1"]
    receiver = make_receiver(200)
    client = client_for("Basic")
    register(client, receiver.url(host="cms.example.test"))
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    assert receiver.requests[0].headers["Host"] == f"cms.example.test:{receiver.port}"


def test_a_name_rebound_to_a_private_address_after_saving_is_not_contacted(
    client_for, make_receiver, settle, dns_server, settings
):
    dns_server.names["cms.example.test"] = ["93.184.215.14"]
    receiver = make_receiver(200)
    client = client_for("Basic")
    register(client, receiver.url(host="cms.example.test"))
    # The name now points at this machine, which the operator has not allowed.
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    dns_server.names["cms.example.test"] = ["127.0.0.1"]
    image_signals.announce_rejected(client.user, "u1", "corrupt", "bad")
    settle()
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.last_error == (
        "Webhooks cannot be sent to cms.example.test (127.0.0.1): it is a loopback address."
    )
    assert delivery.status == "pending"  # retried: the name may be fixed


def test_without_a_broker_the_request_does_not_wait_for_the_receiver(
    client_for, make_receiver, settle, settings
):
    settings.WEBHOOK_TOTAL_TIMEOUT = 5.0
    receiver = make_receiver(hang)
    client = client_for("Basic")
    register(client, receiver.url(), events=["image.ready"])
    from tests.conftest import upload_file

    answer = client.post("/api/user/images/", {"image": upload_file(image_bytes())})
    assert answer.status_code == 201
    assert receiver.got_request.wait(10)
    assert not tasks.drain(timeout=0)  # the attempt is still under way, in its thread
    receiver.release.set()
    settle()


def test_the_log_keeps_finished_deliveries_for_the_retention_only(
    client_for, make_receiver, settle, settings
):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 30
    receiver = make_receiver(200)
    client = client_for("Basic")
    register(client, receiver.url())
    for reference in ("old", "recent"):
        image_signals.announce_rejected(client.user, reference, "corrupt", "bad")
    settle()
    old = Delivery.objects.get(body__contains='"old"')
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    pending = Delivery.objects.create(
        endpoint=old.endpoint, event_id="msg_p", event_type="image.rejected", body="{}"
    )
    Delivery.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(days=31))
    services.sweep()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded", "pending"}
    assert not Delivery.objects.filter(pk=old.pk).exists()  # a pending one is never dropped
