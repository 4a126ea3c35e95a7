"""Idempotency-Key: a retried upload or completion gets the first answer, never a second effect."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone

from images.models import Image
from tests.conftest import image_bytes, upload_file
from tests.images.concurrency import in_thread
from tests.uploads.conftest import complete, send
from uploads import services
from uploads.models import IdempotentRequest

pytestmark = pytest.mark.django_db(transaction=True)


def post_image(client, data: bytes, key: str | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/user/images/", {"image": upload_file(data)}, format="multipart", **headers
    )


class TestUploadingAnImage:
    def test_a_retry_with_the_key_gets_the_first_answer_and_no_second_image(self, client_for):
        client = client_for("Premium")
        data = image_bytes(400, 300)

        first = post_image(client, data, key="retry-me")
        retry = post_image(client, data, key="retry-me")

        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        assert retry["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first
        assert Image.objects.count() == 1

    def test_without_a_key_each_request_is_its_own(self, client_for):
        client = client_for("Premium")
        data = image_bytes(400, 300)

        post_image(client, data)
        post_image(client, data)

        assert Image.objects.count() == 2

    def test_the_same_key_with_another_file_is_422(self, client_for):
        client = client_for("Premium")
        assert post_image(client, image_bytes(400, 300), key="k1").status_code == 201

        other = post_image(client, image_bytes(401, 300), key="k1")

        assert other.status_code == 422
        assert "already used for a different request" in other.json()["detail"]
        assert Image.objects.count() == 1

    def test_keys_belong_to_their_user(self, client_for):
        alice, bob = client_for("Premium"), client_for("Premium")

        post_image(alice, image_bytes(400, 300), key="shared")
        theirs = post_image(bob, image_bytes(401, 300), key="shared")

        assert theirs.status_code == 201
        assert Image.objects.count() == 2

    def test_a_refusal_is_kept_as_the_answer_too(self, client_for):
        client = client_for("Premium")

        first = post_image(client, b"not an image", key="bad")
        retry = post_image(client, b"not an image", key="bad")

        assert first.status_code == retry.status_code == 400
        assert retry.json() == first.json()
        assert retry["Idempotent-Replayed"] == "true"

    def test_a_throttled_answer_is_not_kept_so_the_retry_runs(self, client_for):
        from accounts.models import Tier

        tier = Tier.objects.create(name="Slow", thumbnail_heights=[50], uploads_per_hour=1)
        client = client_for(tier)
        post_image(client, image_bytes(100, 100))
        assert post_image(client, image_bytes(200, 100), key="later").status_code == 429
        tier.uploads_per_hour = 5
        tier.save()

        assert post_image(client, image_bytes(200, 100), key="later").status_code == 201

    def test_a_key_too_long_is_400(self, client_for):
        response = post_image(client_for("Premium"), image_bytes(100, 100), key="k" * 256)

        assert response.status_code == 400
        assert "255" in response.json()["Idempotency-Key"][0]  # a field error, as documented

    def test_concurrent_requests_with_one_key_make_one_image(self, client_for):
        client = client_for("Premium")
        data = image_bytes(800, 600)
        barrier = threading.Barrier(4)

        def send_once():
            barrier.wait(10)
            return post_image(client, data, key="racing")

        with ThreadPoolExecutor(4) as pool:
            answers = [f.result(60) for f in [in_thread(pool, send_once) for _ in range(4)]]

        assert [a.status_code for a in answers] == [201] * 4
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3
        assert Image.objects.count() == 1


class TestCompleting:
    def test_a_retried_completion_gets_the_first_202(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(client, data)
        send(client, upload.target, data)

        first = complete(client, upload.id, HTTP_IDEMPOTENCY_KEY="done-1")
        retry = complete(client, upload.id, HTTP_IDEMPOTENCY_KEY="done-1")

        assert first.status_code == retry.status_code == 202
        assert retry.json() == first.json() == {"id": upload.id, "status": "processing"}
        assert retry["Location"] == first["Location"]
        assert retry["Retry-After"] == "1"
        assert Image.objects.count() == 1


def test_answers_are_kept_a_day_and_then_forgotten(client_for):
    client = client_for("Premium")
    post_image(client, image_bytes(100, 100), key="old")
    post_image(client, image_bytes(100, 100), key="new")
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    IdempotentRequest.objects.filter(key="new").update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )

    swept = services.housekeeping()

    assert swept.forgotten_keys == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
