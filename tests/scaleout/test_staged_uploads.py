"""Staged uploads on the real servers: the bytes go from the client straight to S3, a real
Celery worker validates them, and a worker killed mid-processing never leaves one stuck."""

import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PIL import Image as PILImage

from images.models import Image
from tests.live_server import Process, free_port, gunicorn_server, wait_for
from tests.scaleout.conftest import lost_worker_env, start_worker
from uploads import tasks
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1_000_000


class CountingProxy:
    """A TCP proxy in front of the web process that counts the bytes clients send it."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.received = 0
        self.lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=60)
            threading.Thread(target=self.pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pipe, args=(upstream, client, False), daemon=True).start()

    def pipe(self, source: socket.socket, sink: socket.socket, counted: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if counted:
                    with self.lock:
                        self.received += len(chunk)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's master and workers)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def photo_of_about(size: int) -> bytes:
    """A real PNG of at least ``size`` bytes (noise does not compress)."""
    import io

    width = 2600
    height = size // (width * 3) + 1
    pixels = PILImage.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    buffer = io.BytesIO()
    pixels.save(buffer, "PNG", compress_level=0)
    return buffer.getvalue()


@pytest.fixture
def web(app_env, logs) -> Iterator[tuple[Process, CountingProxy]]:
    port = free_port()
    with gunicorn_server(port, app_env, logs / f"gunicorn-staged-{port}.log") as server:
        server.wait_healthy()
        proxy = CountingProxy(port)
        yield server, proxy
        proxy.close()


def staged_upload(api: requests.Session, base: str, data: bytes, name: str) -> dict:
    """Start, send straight to S3, complete, and poll until the upload ends."""
    started = api.post(
        base + "/api/user/uploads/", json={"size": len(data), "filename": name}, timeout=30
    )
    assert started.status_code == 201, started.text
    target = started.json()["upload"]
    assert target["method"] == "POST"
    assert target["url"].startswith(os.environ["AWS_S3_ENDPOINT_URL"])
    stored = requests.post(
        target["url"], data=target["fields"], files={"file": (name, data)}, timeout=120
    )
    assert stored.status_code == 204, stored.text
    status_url = f"{base}/api/user/uploads/{started.json()['id']}/"
    assert api.post(status_url + "complete", timeout=30).status_code == 202

    def finished():
        body = api.get(status_url, timeout=30).json()
        return body if body["status"] in ("ready", "rejected") else None

    return wait_for("the worker to end the upload", finished, timeout=120)


def test_a_20_mb_upload_goes_straight_to_s3_and_never_through_the_web_process(
    web, worker, client_for
):
    from rest_framework.authtoken.models import Token

    from tests.conftest import image_bytes

    server, proxy = web
    user = client_for("Enterprise").user
    api = requests.Session()
    api.headers["Authorization"] = f"Token {Token.objects.get(user=user).key}"
    data = photo_of_about(20 * MB)
    assert 20 * MB <= len(data) < 21 * MB
    # A small upload first: the web process loads what the flow needs (boto3's models).
    assert staged_upload(api, proxy.url, image_bytes(300, 200), "small.jpg")["status"] == "ready"
    rss_before = rss_bytes(server.pid)
    sent_before = proxy.received

    body = staged_upload(api, proxy.url, data, "big.png")

    received = proxy.received - sent_before
    grown = rss_bytes(server.pid) - rss_before
    assert body["status"] == "ready", body
    assert body["image"]["size"] == len(data)
    assert Image.objects.get(pk=body["image"]["id"]).size == len(data)
    # The web process received a few requests' worth of bytes, not the file ...
    assert received < 64 * 1024, received
    # ... and did not grow by anything like its size.
    assert grown < 5 * MB, grown


def test_an_upload_whose_worker_is_killed_ends_ready_after_redelivery(
    app_env, redis_server, logs, silent_endpoint, client_for, monkeypatch
):
    from tests.conftest import image_bytes
    from tests.uploads.conftest import complete, send, start

    env = lost_worker_env(app_env, redis_server)
    client = client_for("Premium")
    data = image_bytes(800, 600)
    upload = start(client, len(data)).json()
    assert send(client, upload["upload"], data) == 204
    monkeypatch.setattr(tasks, "schedule_processing", lambda upload_id: None)
    assert complete(client, upload["id"]).status_code == 202

    # The first worker takes the task and hangs reading the staged file from a storage
    # server that never answers; it is killed while it holds the task.
    doomed = start_worker("doomed-upload", {**env, "AWS_S3_ENDPOINT_URL": silent_endpoint}, logs)
    from imageapi.celery import app

    with app.connection_for_write(env["CELERY_BROKER_URL"]) as connection:
        tasks.process_upload_task.apply_async((upload["id"],), connection=connection)
    doomed.wait_until("the task to reach the first worker", lambda: "received" in doomed.output())
    time.sleep(0.5)
    os.killpg(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(timeout=10)
    assert Upload.objects.get(pk=upload["id"]).status == "processing"

    rescuer = start_worker("rescuer-upload", env, logs)
    try:
        wait_for(
            "the second worker to finish the upload",
            lambda: Upload.objects.get(pk=upload["id"]).status != "processing",
            timeout=60,
        )
    finally:
        rescuer.stop()

    done = Upload.objects.get(pk=upload["id"])
    assert done.status == "ready"
    assert Image.objects.filter(owner=client.user).count() == 1
    assert done.reserved_bytes is None


def test_cleanup_storage_removes_staged_objects_no_live_upload_claims(client_for, bucket, settings):
    import io

    from django.core.management import call_command

    from tests.uploads.conftest import send, start

    settings.CELERY_BROKER_URL = ""
    client = client_for("Premium")
    live = start(client, 10).json()
    assert send(client, live["upload"], b"x" * 10) == 204
    ended = start(client, 10).json()
    assert send(client, ended["upload"], b"y" * 10) == 204
    Upload.objects.filter(pk=ended["id"]).update(status=Upload.Status.EXPIRED)
    time.sleep(1.1)  # S3 times have one-second resolution

    out = io.StringIO()
    call_command("cleanup_storage", "--grace", "0", "--delete", stdout=out, stderr=io.StringIO())

    live_key = f"staging/{live['id'].replace('-', '')}"
    assert "Removed 1 file" in out.getvalue()
    assert bucket.keys() == {live_key}
