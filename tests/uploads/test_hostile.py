"""What a hostile or unlucky client can do to a staged upload, and what it gets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Tier
from accounts.tiers import quotas
from images.files import storage
from images.models import Image
from tests.conftest import image_bytes
from tests.images.conftest import stored_files
from tests.processing import hostile
from tests.uploads.conftest import complete, send, start, status
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


def nothing_left(user) -> None:
    """No image, no file, no reservation."""
    assert Image.objects.count() == 0
    assert stored_files() == []
    used = quotas.usage(user)
    assert (used.reserved_images, used.reserved_bytes) == (0, 0)


class TestTheFileIsNotTheOneDeclared:
    def test_more_bytes_than_declared_are_rejected_as_a_size_mismatch(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(600, 400)
        upload = started(client, data, size=len(data) - 100)
        assert send(client, upload.target, data) in (201, 204)

        assert complete(client, upload.id).status_code == 202

        body = status(client, upload.id).json()
        assert body["status"] == "rejected"
        assert body["error"]["code"] == "size_mismatch"
        assert (
            f"{len(data):,} bytes, but {len(data) - 100:,} were declared"
            in (body["error"]["message"])
        )
        nothing_left(client.user)

    def test_fewer_bytes_than_declared_are_rejected_too(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(600, 400)
        upload = started(client, data, size=len(data) + 1)
        send(client, upload.target, data)
        complete(client, upload.id)

        assert status(client, upload.id).json()["error"]["code"] == "size_mismatch"
        nothing_left(client.user)

    def test_a_declared_size_over_the_limit_is_refused_at_once(self, client_for, settings):
        settings.MAX_UPLOAD_BYTES = 1000
        client = client_for("Premium")

        response = start(client, 1001)

        assert response.status_code == 413
        assert "1,001 bytes; the limit is 1,000 bytes" in response.json()["detail"]
        assert not Upload.objects.exists()

    def test_more_bytes_than_the_policy_allows_never_become_an_image(
        self, client_for, started, settings
    ):
        settings.MAX_UPLOAD_BYTES = 50_000
        client = client_for("Premium")
        data = image_bytes(1600, 1200)  # well over 50,000 bytes
        upload = started(client, data, size=40_000)

        answer = send(client, upload.target, data)

        if upload.target["method"] == "PUT":
            assert answer == 413  # refused while it streams in
        elif answer in (200, 201, 204):  # a store that does not enforce the policy (moto)
            assert complete(client, upload.id).status_code == 202
            assert status(client, upload.id).json()["error"]["code"] == "too_large"
        else:  # S3 itself refuses the body (EntityTooLarge)
            assert answer == 400
        assert Image.objects.count() == 0


class TestCompletion:
    def test_completing_before_any_bytes_arrived_is_409_with_a_reason(self, client_for, started):
        client = client_for("Premium")
        upload = started(client, b"x" * 100)

        response = complete(client, upload.id)

        assert response.status_code == 409
        assert response.json()["detail"].startswith("No file has arrived for this upload yet")
        assert status(client, upload.id).json()["status"] == "pending"

    def test_completing_twice_is_409(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(client, data)
        send(client, upload.target, data)
        assert complete(client, upload.id).status_code == 202

        again = complete(client, upload.id)

        assert again.status_code == 409
        assert "already completed (it is ready)" in again.json()["detail"]
        assert Image.objects.count() == 1

    def test_another_users_upload_does_not_exist_for_you(self, client_for, started):
        owner, other = client_for("Premium"), client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(owner, data)
        send(owner, upload.target, data)

        assert complete(other, upload.id).status_code == 404
        assert status(other, upload.id).status_code == 404
        assert status(owner, upload.id).json()["status"] == "pending"

    def test_an_unknown_upload_is_404(self, client_for):
        client = client_for("Premium")
        missing = "00000000-0000-4000-8000-000000000000"

        assert complete(client, missing).status_code == 404
        assert status(client, missing).status_code == 404


class TestExpiry:
    def expire(self, upload_id: str) -> None:
        Upload.objects.filter(pk=upload_id).update(expires_at=timezone.now() - timedelta(seconds=1))

    def test_an_expired_upload_answers_410_and_gives_its_room_back(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(client, data)
        send(client, upload.target, data)
        self.expire(upload.id)

        assert complete(client, upload.id).status_code == 410
        assert status(client, upload.id).status_code == 410
        assert status(client, upload.id).json()["detail"].startswith("This upload expired")
        assert Upload.objects.get(pk=upload.id).status == "expired"
        nothing_left(client.user)

    def test_an_expired_upload_url_takes_no_bytes(self, client_for, started, settings):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(client, data)
        if upload.target["method"] != "PUT":
            pytest.skip("S3 enforces the presigned POST's expiry itself")
        settings.UPLOAD_URL_SECONDS = -1  # the token is older than the URLs now last

        assert send(client, upload.target, data) == 410
        assert stored_files() == []

    def test_the_housekeeping_command_expires_what_is_due(self, client_for, started):
        from django.core.management import call_command

        client = client_for("Premium")
        data = image_bytes(300, 200)
        due, fresh = started(client, data), started(client, data)
        send(client, due.target, data)
        self.expire(due.id)

        call_command("expire_uploads")

        assert Upload.objects.get(pk=due.id).status == "expired"
        assert Upload.objects.get(pk=fresh.id).status == "pending"
        assert [n for n in stored_files() if n.startswith("staging/")] == []
        assert quotas.usage(client.user).reserved_images == 1


class TestSignedPutUrl:
    """Local storage: the PUT URL is a capability for one upload, while it is pending."""

    @pytest.fixture(autouse=True)
    def _local_only(self):
        if storage.is_s3():
            pytest.skip("with S3 the bytes go to the bucket, not to this server")

    def test_a_url_for_another_upload_or_a_forged_one_takes_nothing(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        mine, other = started(client, data), started(client, data)
        token = mine.target["url"].split("token=")[1]
        swapped = {**other.target, "url": other.target["url"].split("token=")[0] + "token=" + token}
        forged = {**mine.target, "url": mine.target["url"][:-3] + "abc"}

        assert send(client, swapped, data) == 403
        assert send(client, forged, data) == 403
        assert stored_files() == []

    def test_a_url_is_not_reused_once_the_upload_was_completed(self, client_for, started):
        client = client_for("Premium")
        data = image_bytes(300, 200)
        upload = started(client, data)
        send(client, upload.target, data)
        complete(client, upload.id)

        assert send(client, upload.target, image_bytes(64, 64)) == 409
        assert [n for n in stored_files() if n.startswith("staging/")] == []

    def test_a_body_past_the_usual_request_bound_is_streamed_in(
        self, client_for, started, settings
    ):
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # other endpoints refuse such bodies
        client = client_for("Premium")
        data = image_bytes(1200, 900)
        assert len(data) > 10_000
        upload = started(client, data)

        assert send(client, upload.target, data) == 204
        assert (
            client.post(
                "/api/user/uploads/", b"x" * 20_000, content_type="application/json"
            ).status_code
            == 413
        )


class TestQuotas:
    def test_pending_uploads_hold_the_last_slot(self, client_for, started):
        tier = Tier.objects.create(name="Two", thumbnail_heights=[50], max_images=2)
        client = client_for(tier)
        started(client, b"x" * 10)
        started(client, b"x" * 10)

        third = start(client, 10)

        assert third.status_code == 403
        assert "(plus 2 uploads in progress)" in third.json()["detail"]

    def test_the_policy_caps_the_size_at_what_storage_has_left(self, client_for, started):
        tier = Tier.objects.create(name="Small", thumbnail_heights=[50], max_bytes=100_000)
        client = client_for(tier)
        started(client, b"x" * 60_000)

        assert start(client, 50_000).status_code == 403  # 60,000 held + 50,000 > 100,000
        upload = started(client, b"x" * 30_000)

        if upload.target["method"] == "PUT":
            assert send(client, upload.target, b"x" * 40_001) == 413
            assert send(client, upload.target, b"x" * 30_000) == 204
        else:
            policy = upload.target["fields"]["policy"]
            import base64
            import json

            conditions = json.loads(base64.b64decode(policy))["conditions"]
            assert ["content-length-range", 1, 40_000] in conditions

    def test_too_many_pending_uploads_are_429_with_retry_after(self, client_for, settings):
        settings.MAX_PENDING_UPLOADS = 2
        client = client_for("Premium")
        assert start(client, 10).status_code == 201
        assert start(client, 10).status_code == 201

        refused = start(client, 10)

        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 901
        assert "You have 2 uploads waiting for their files" in refused.json()["detail"]
        assert Upload.objects.count() == 2


HOSTILE = {
    "corrupt": (lambda: image_bytes(300, 200)[:-2000], "damaged"),
    "a JPEG scan bomb": (lambda: hostile.scan_bomb(size=1024, repeats=20_000), "MAX_JPEG_SCANS"),
    "a decompression bomb": (
        lambda: hostile.claiming(hostile.progressive_444(64, 48), 8660, 5773),
        "MAX_DECODE_BYTES",
    ),
    "not an image": (lambda: b"%PDF-1.4\n" + bytes(200), "images are accepted"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_file_is_rejected_as_a_direct_upload_is(client_for, upload, staged, case):
    build, words = HOSTILE[case]
    client = client_for("Premium")
    direct = upload(client, build(), name="hostile.png")
    assert direct.status_code == 400

    answer = staged(client, build())

    assert answer["status"] == "rejected"
    assert answer["error"]["message"] == direct.json()["image"][0]
    assert words in answer["error"]["message"]
    assert answer["error"]["code"]
    nothing_left(client.user)
