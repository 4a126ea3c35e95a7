"""A task held by a worker that was killed is redelivered once the visibility timeout
passes (here 4 s; 5 minutes by default, not Redis' hour) and done by another worker."""

import os
import signal
import socket
import time

import pytest

from images.models import Thumbnail
from images.thumbnails import tasks
from tests.conftest import image_bytes
from tests.live_server import BIN, Process, free_port, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def silent_endpoint():
    """A TCP port that accepts connections and never answers (a hung storage server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def start_worker(name: str, env: dict, logs) -> Process:
    return Process(
        name,
        [
            str(BIN / "celery"),
            *("-A", "imageapi", "worker", "--loglevel", "INFO", "--pool", "prefork"),
            *("--concurrency", "1", "--hostname", f"{name}-{os.getpid()}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        logs / f"{name}-{os.getpid()}.log",
        env,
    ).start()


def test_a_killed_workers_task_is_redelivered_within_the_visibility_timeout(
    app_env, redis_server, logs, silent_endpoint, client_for, upload
):
    broker_port = free_port()
    redis_server(broker_port)
    env = {
        **app_env,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/1",
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "CELERY_TASK_TIME_LIMIT": "3",
        "CELERY_RESTORE_INTERVAL": "2",
        "LOG_LEVEL": "INFO",
    }
    client = client_for("Premium")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "schedule_thumbnails", lambda image_id: None)
        image_id = upload(client, image_bytes(800, 600)).json()["id"]

    # The first worker takes the task and hangs reading the original from a storage
    # server that never answers; it is killed while it holds the task.
    doomed = start_worker("doomed", {**env, "AWS_S3_ENDPOINT_URL": silent_endpoint}, logs)
    from imageapi.celery import app

    with app.connection_for_write(env["CELERY_BROKER_URL"]) as connection:
        tasks.generate_thumbnails_task.apply_async((image_id,), connection=connection)
    doomed.wait_until("the task to reach the first worker", lambda: "received" in doomed.output())
    time.sleep(0.5)
    os.killpg(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(timeout=10)
    killed_at = time.monotonic()
    assert not Thumbnail.objects.filter(image_id=image_id).exists()

    rescuer = start_worker("rescuer", env, logs)
    try:
        wait_for(
            "the second worker to make the thumbnails",
            lambda: Thumbnail.objects.filter(image_id=image_id).count() == 2,
            timeout=30,
        )
        redelivered_after = time.monotonic() - killed_at
    finally:
        rescuer.stop()

    assert "succeeded" in rescuer.output(limit=None)
    # Not before the visibility timeout (4 s after delivery), and soon after it.
    assert 3 < redelivered_after < 15, redelivered_after
