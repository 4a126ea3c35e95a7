"""Uploads on S3 with a real Celery worker: where the files land, and who makes them."""

import io

import pytest
from botocore.exceptions import EndpointConnectionError
from django.db import OperationalError
from PIL import Image as PILImage
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.test import APIClient

from accounts.models import Tier
from images import services
from images.models import Image, Thumbnail
from images.thumbnails import rendering, tasks
from tests.conftest import image_bytes
from tests.images.conftest import path_of
from tests.live_server import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def thumbnails_of(image: Image, count: int) -> list[Thumbnail]:
    """The image's thumbnails once there are ``count`` of them (bounded wait)."""

    def made():
        thumbs = list(Thumbnail.objects.filter(image=image).order_by("height"))
        return thumbs if len(thumbs) == count else None

    return wait_for(f"{count} thumbnails of image {image.pk}", made)


def height_of(data: bytes) -> int:
    return PILImage.open(io.BytesIO(data)).height


def test_upload_stores_the_original_and_the_worker_makes_every_thumbnail(
    client_for, upload, worker, worker_tasks, bucket, s3_calls, monkeypatch
):
    rendered_by_the_request = []
    render = rendering.render

    def spy(*args, **kwargs):
        rendered_by_the_request.append(args[1])
        return render(*args, **kwargs)

    monkeypatch.setattr(rendering, "render", spy)
    client = client_for("Premium")
    data = image_bytes(1200, 900)

    response = upload(client, data)

    assert response.status_code == 201, response.content
    assert rendered_by_the_request == []  # the worker makes them
    body = response.json()
    assert [t["height"] for t in body["thumbnails"]] == [200, 400]
    # One PUT for the original: no exists()/HEAD round trip, no listing.
    assert s3_calls == ["PutObject"]

    image = Image.objects.get(pk=body["id"])
    worker_tasks(1)
    thumbs = thumbnails_of(image, 2)
    assert bucket.keys() == {image.file.name, *(t.file.name for t in thumbs)}
    assert bucket.read(image.file.name) == data
    for thumb in thumbs:
        assert height_of(bucket.read(thumb.file.name)) == thumb.height
        assert thumb.file.name.startswith(f"thumbnails/{image.key}/")


def test_the_upload_response_is_the_same_with_and_without_a_worker(
    client_for, upload, worker, worker_tasks, settings
):
    client = client_for("Enterprise")
    queued = upload(client).json()
    settings.CELERY_BROKER_URL = None  # the embedded mode: thumbnails made in the request
    inline = upload(client).json()

    def shape(body: dict) -> dict:
        return {
            "fields": sorted(body),
            "original": body["image"].split("/media/")[0],
            "thumbnails": [(t["height"], t["url"].split("/media/")[0]) for t in body["thumbnails"]],
            "size": (body["width"], body["height"], body["format"], body["size"]),
        }

    assert shape(queued) == shape(inline)
    worker_tasks(1)


def test_a_thumbnail_fetched_before_the_worker_ran_is_made_on_demand(
    client_for, upload, worker, worker_tasks, paused_worker, bucket
):
    paused_worker(True)  # the task is queued but nobody runs it yet
    client = client_for("Premium")
    body = upload(client).json()
    image = Image.objects.get(pk=body["id"])
    assert not Thumbnail.objects.filter(image=image).exists()

    for thumb in body["thumbnails"]:
        response = APIClient().get(path_of(thumb["url"]))
        assert response.status_code == 200
        assert height_of(b"".join(response.streaming_content)) == thumb["height"]

    paused_worker(False)
    worker_tasks(1)  # the queued task ran late and found nothing left to do
    thumbs = thumbnails_of(image, 2)
    assert [t.height for t in thumbs] == [200, 400]
    assert bucket.keys() == {image.file.name, *(t.file.name for t in thumbs)}


def test_a_height_added_to_a_tier_is_backfilled_by_the_worker(
    client_for, upload, worker, worker_tasks, bucket
):
    tier = Tier.objects.create(name="Thumbs", thumbnail_heights=[100])
    client = client_for(tier)
    body = upload(client, image_bytes(900, 600)).json()
    image = Image.objects.get(pk=body["id"])
    worker_tasks(1)
    thumbnails_of(image, 1)

    tier.thumbnail_heights = [100, 300]
    tier.save()
    services.backfill_for_tier(tier)  # what the admin and the tier command do after a change

    worker_tasks(2)
    thumbs = thumbnails_of(image, 2)
    assert [t.height for t in thumbs] == [100, 300]
    assert height_of(bucket.read(thumbs[1].file.name)) == 300


def test_deleting_removes_the_objects_from_the_bucket(
    client_for, upload, worker, worker_tasks, bucket
):
    client = client_for("Premium")
    body = upload(client).json()
    image = Image.objects.get(pk=body["id"])
    worker_tasks(1)
    thumbs = thumbnails_of(image, 2)
    assert len(bucket.keys()) == 3
    client.user.tier = Tier.objects.get(name="Basic")  # 400 px leaves the tier: deletable
    client.user.save()

    assert client.delete(f"/api/user/thumbnails/{thumbs[1].pk}/").status_code == 204
    assert bucket.keys() == {image.file.name, thumbs[0].file.name}

    assert client.delete(f"/api/user/images/{image.pk}/").status_code == 204
    assert bucket.keys() == set()


def test_thumbnail_tasks_are_acknowledged_late_and_retried_on_outages():
    for task in (tasks.generate_thumbnails_task, tasks.backfill_user_task):
        assert task.acks_late
        assert task.max_retries == 5
        for outage in (EndpointConnectionError, RedisConnectionError, OperationalError, OSError):
            assert issubclass(outage, task.autoretry_for), (task.name, outage)
