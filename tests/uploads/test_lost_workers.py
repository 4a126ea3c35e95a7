"""A worker lost mid-processing never leaves an upload stuck: redelivery and the sweep
finish it exactly once, ready or rejected."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tiers import quotas
from images.models import Image
from tests.conftest import image_bytes
from tests.images.conftest import stored_files
from tests.uploads.conftest import complete, send, status
from uploads import services, tasks
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def processing(client_for, started, monkeypatch):
    """An upload completed whose worker never ran (the task was lost with it)."""

    def make(data: bytes | None = None):
        data = image_bytes(500, 400) if data is None else data
        client = client_for("Premium")
        upload = started(client, data)
        send(client, upload.target, data)
        with monkeypatch.context() as patch:
            patch.setattr(tasks, "schedule_processing", lambda upload_id: None)
            assert complete(client, upload.id).status_code == 202
        assert status(client, upload.id).json()["status"] == "processing"
        return client, upload.id

    return make


def age(upload_id: str, seconds: int) -> None:
    Upload.objects.filter(pk=upload_id).update(
        processing_since=timezone.now() - timedelta(seconds=seconds)
    )


def test_processing_twice_makes_one_image(processing):
    client, upload_id = processing()

    services.process(upload_id)  # the first delivery
    services.process(upload_id)  # a redelivery after the worker was thought lost

    assert Image.objects.count() == 1
    assert status(client, upload_id).json()["status"] == "ready"


def test_a_late_worker_that_finds_the_upload_ended_undoes_its_image_and_file(
    processing, monkeypatch
):
    _, upload_id = processing()
    real_take_over = services._take_over

    def another_worker_ended_it_meanwhile(pk):
        # Between this worker's decode and its claim, another delivery ended the upload.
        Upload.objects.filter(pk=pk).update(status=Upload.Status.REJECTED, reserved_bytes=None)
        real_take_over(pk)

    monkeypatch.setattr(services, "_take_over", another_worker_ended_it_meanwhile)

    services.process(upload_id)

    assert Image.objects.count() == 0
    assert [n for n in stored_files() if n.startswith("originals/")] == []


def test_the_sweep_requeues_an_upload_stuck_in_processing(processing, settings):
    client, upload_id = processing()
    settings.UPLOAD_STALE_SECONDS = 600
    age(upload_id, 599)
    assert services.housekeeping().requeued == 0

    age(upload_id, 601)
    swept = services.housekeeping()  # without a broker the requeued work runs at once

    assert swept.requeued == 1
    assert status(client, upload_id).json()["status"] == "ready"
    assert Upload.objects.get(pk=upload_id).attempts == 2


def test_after_the_last_attempt_the_upload_is_rejected_and_its_room_given_back(
    processing, settings, monkeypatch
):
    client, upload_id = processing()
    settings.UPLOAD_MAX_ATTEMPTS = 2
    monkeypatch.setattr(tasks, "schedule_processing", lambda upload_id: None)  # lost again
    age(upload_id, 10_000)
    assert services.housekeeping().requeued == 1
    age(upload_id, 10_000)

    assert services.housekeeping().rejected == 1

    body = status(client, upload_id).json()
    assert body["status"] == "rejected"
    assert body["error"]["code"] == "processing_failed"
    assert quotas.usage(client.user).reserved_images == 0
    assert stored_files() == []


def test_an_outage_while_processing_leaves_it_processing_for_the_retry(processing, monkeypatch):
    from imageapi.errors import Unavailable
    from uploads import targets

    client, upload_id = processing()

    def storage_down(upload, limit):
        raise Unavailable("The image store is unavailable; try again shortly.")

    monkeypatch.setattr(targets, "read_staged", storage_down)
    with pytest.raises(Unavailable):
        services.process(upload_id)

    assert status(client, upload_id).json()["status"] == "processing"
    monkeypatch.undo()
    services.process(upload_id)
    assert status(client, upload_id).json()["status"] == "ready"
