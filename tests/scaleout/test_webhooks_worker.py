"""Webhooks sent by a real Celery worker: after the upload commits, and again on retry."""

import json

import pytest

from tests.conftest import image_bytes
from tests.live_server import wait_for
from tests.webhooks.conftest import loopback_receivers, make_receiver  # noqa: F401
from webhooks import services, tasks
from webhooks.models import Delivery
from webhooks.verify import verify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_receivers"),
]


def test_the_worker_delivers_image_ready_and_its_retry(
    client_for,
    upload,
    make_receiver,  # noqa: F811 (the fixture imported above)
    worker,
):
    assert tasks.in_background()
    receiver = make_receiver(500, 200)
    client = client_for("Premium")
    created = client.post(
        "/api/user/webhooks/", {"url": receiver.url(), "events": ["image.ready"]}, format="json"
    ).json()

    uploaded = upload(client, image_bytes(800, 600))
    assert uploaded.status_code == 201
    wait_for("the worker's first attempt", lambda: Delivery.objects.filter(attempts=1).exists())
    assert Delivery.objects.get().status == "pending"  # the receiver answered 500

    # The worker's schedule is the default one: the first retry falls due after about 5 s,
    # when the sweep (Celery beat's job) queues it for the worker.
    wait_for("the retry to fall due", services.sweep, timeout=15)
    wait_for("the retry", lambda: Delivery.objects.filter(status="succeeded").exists())
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    verify(created["secret"], second.headers, second.body)
    event = json.loads(second.body)
    assert (event["type"], event["data"]["image"]["id"]) == ("image.ready", uploaded.json()["id"])
