"""A worker killed in the middle of a delivery loses nothing: the state is in the database.

The "worker" is a real process (`manage.py webhook_sweep`) on this test's database; it
is killed with SIGKILL while the receiver holds its request, as a crash or an OOM kill
would. The delivery it held falls due when its lease runs out and the next sweep sends
it, with the same event id.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from tests.live_server import ROOT, embedded_env, wait_for
from tests.webhooks.conftest import hang
from webhooks import services, signing
from webhooks.models import Delivery, Endpoint
from webhooks.verify import verify

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback_receivers"),
]
LEASE_SECONDS = 6


def this_database_url() -> str:
    """The URL of the database this test runs on, for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(tmp_path) -> subprocess.Popen:
    env = embedded_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="imageapi.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=this_database_url(),
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        WEBHOOK_TOTAL_TIMEOUT="5",
        WEBHOOK_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "webhook_sweep"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_a_delivery_survives_its_worker_being_killed(
    make_receiver, make_user, settle, settings, tmp_path
):
    settings.WEBHOOK_LEASE_SECONDS = LEASE_SECONDS
    receiver = make_receiver(hang, 200)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        owner=make_user("Basic"), url=receiver.url(), events=["image.ready"], secret=secret
    )
    body = json.dumps({"id": "msg_1", "type": "image.ready", "data": {}})
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_id="msg_1",
        event_type="image.ready",
        body=body,
        next_attempt_at=timezone.now(),
    )

    worker = start_worker(tmp_path)
    try:
        assert receiver.got_request.wait(60), "the worker never sent the delivery"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)  # nothing was recorded
    assert delivery.next_attempt_at > timezone.now()  # still leased to the dead worker
    assert services.sweep() == 0  # not sent twice at once

    wait_for("the lease to run out", services.sweep, timeout=LEASE_SECONDS + 10)
    settle()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "msg_1"
    assert first.body == second.body == body.encode()
    verify(secret, second.headers, second.body)
