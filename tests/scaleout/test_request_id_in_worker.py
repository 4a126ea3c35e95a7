"""The request id reaches the worker's log lines for the tasks that request queued."""

import json
import os

import pytest

from imageapi import request_id
from images.thumbnails import tasks
from tests.conftest import image_bytes
from tests.live_server import BIN, Process, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def json_worker(app_env, logs):
    """A worker of its own queue, logging JSON at INFO."""
    queue = f"reqid-{os.getpid()}"
    proc = Process(
        "json worker",
        [
            str(BIN / "celery"),
            *("-A", "imageapi", "worker", "-Q", queue, "--pool", "solo", "--loglevel", "INFO"),
            *("--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle"),
            "--without-heartbeat",
        ],
        logs / f"{queue}.log",
        {**app_env, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"},
    ).start()
    proc.queue = queue
    yield proc
    proc.stop()


def json_lines(proc: Process) -> list[dict]:
    lines = []
    for line in proc.output(limit=None).splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_a_task_logs_with_the_id_of_the_request_that_queued_it(json_worker, client_for, upload):
    client = client_for("Basic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "schedule_thumbnails", lambda image_id: None)
        image_id = upload(client, image_bytes(400, 300)).json()["id"]

    token = request_id.current.set("upload-req-7")
    try:
        tasks.generate_thumbnails_task.apply_async((image_id,), queue=json_worker.queue)
    finally:
        request_id.current.reset(token)

    def task_lines():
        return [
            line
            for line in json_lines(json_worker)
            if line.get("logger") == "imageapi.task" and line.get("request_id") == "upload-req-7"
        ]

    lines = wait_for("the worker's task log lines", lambda: len(task_lines()) >= 2 and task_lines())
    assert "started" in lines[0]["message"]
    assert lines[-1]["message"].endswith("SUCCESS")
