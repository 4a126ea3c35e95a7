"""A task held by a worker that was killed is redelivered once the visibility timeout
passes (here 4 s; 5 minutes by default, not Redis' hour) and done by another worker."""

import os
import signal
import time

import pytest

from images.models import Thumbnail
from images.thumbnails import tasks
from tests.conftest import image_bytes
from tests.live_server import wait_for
from tests.scaleout.conftest import lost_worker_env, start_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_killed_workers_task_is_redelivered_within_the_visibility_timeout(
    app_env, redis_server, logs, silent_endpoint, client_for, upload
):
    env = lost_worker_env(app_env, redis_server)
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
