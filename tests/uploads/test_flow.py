"""The staged upload, start to finish: the bytes skip the API, the result is the same image."""

import pytest

from accounts.tiers import quotas
from images.files import storage
from images.models import Image
from tests.conftest import image_bytes
from tests.images.conftest import stored_files
from tests.uploads.conftest import complete, send, start, status
from uploads import signals
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_starting_reserves_room_and_says_where_to_send_the_file(client_for):
    client = client_for("Premium")

    response = start(client, 123_456, "holiday.jpg")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["expires_in"] == 900
    assert response["Location"] == f"/api/user/uploads/{body['id']}/"
    target = body["upload"]
    if storage.is_s3():  # a presigned POST straight to the bucket, for this one key
        assert target["method"] == "POST"
        assert target["fields"]["key"] == f"staging/{body['id'].replace('-', '')}"
        assert "policy" in target["fields"]
    else:  # a signed URL on this server
        assert target["method"] == "PUT"
        assert target["url"].startswith(f"http://testserver/api/user/uploads/{body['id']}/content?")
    assert quotas.usage(client.user).reserved_images == 1
    assert quotas.usage(client.user).reserved_bytes == 123_456


def test_a_completed_upload_becomes_the_image_a_direct_upload_makes(client_for, started):
    client = client_for("Premium")
    data = image_bytes(1200, 800)
    upload = started(client, data)
    assert send(client, upload.target, data) in (201, 204)

    accepted = complete(client, upload.id)

    assert accepted.status_code == 202
    assert accepted.json() == {"id": upload.id, "status": "processing"}
    assert accepted["Location"] == f"/api/user/uploads/{upload.id}/"
    assert accepted["Retry-After"] == "1"
    answer = status(client, upload.id)
    body = answer.json()
    assert body["status"] == "ready"
    image = client.get(f"/api/user/images/{body['image']['id']}/").json()
    assert body["image"] == image
    assert answer["Location"] == f"/api/user/images/{image['id']}/"
    assert (image["width"], image["height"], image["size"]) == (1200, 800, len(data))
    assert [t["height"] for t in image["thumbnails"]] == [200, 400]
    stored = Image.objects.get()
    assert storage.read(stored.file.name) == data
    # The staged copy is gone; the reservation became the image.
    assert [name for name in stored_files() if name.startswith("staging/")] == []
    used = quotas.usage(client.user)
    assert (used.images, used.reserved_images, used.reserved_bytes) == (1, 0, 0)


def test_a_pending_upload_says_so_and_has_no_retry_after(client_for, started):
    client = client_for("Basic")
    upload = started(client, b"x" * 10)

    answer = status(client, upload.id)

    assert answer.status_code == 200
    assert answer.json()["status"] == "pending" and "Retry-After" not in answer


def test_the_end_of_an_upload_is_announced_with_signals(client_for, started, staged):
    heard = []
    on_ready = lambda sender, upload, image, **kw: heard.append(("ready", upload.pk, image.pk))  # noqa: E731
    on_rejected = lambda sender, upload, code, message, **kw: heard.append(("rejected", code))  # noqa: E731
    signals.upload_ready.connect(on_ready)
    signals.upload_rejected.connect(on_rejected)
    try:
        client = client_for("Premium")
        ready = staged(client)
        rejected = staged(client, b"GIF89a not an image at all")
    finally:
        signals.upload_ready.disconnect(on_ready)
        signals.upload_rejected.disconnect(on_rejected)

    assert ready["status"] == "ready" and rejected["status"] == "rejected"
    assert heard == [
        ("ready", Upload.objects.get(status="ready").pk, ready["image"]["id"]),
        ("rejected", rejected["error"]["code"]),
    ]


def test_a_failing_signal_receiver_does_not_change_how_the_upload_ends(client_for, staged):
    def broken(**kwargs):
        raise RuntimeError("a webhook is down")

    signals.upload_ready.connect(broken)
    try:
        answer = staged(client_for("Premium"))
    finally:
        signals.upload_ready.disconnect(broken)

    assert answer["status"] == "ready"


def test_the_direct_upload_endpoint_is_unchanged(client_for, upload):
    client = client_for("Premium")

    response = upload(client, image_bytes(300, 200))

    assert response.status_code == 201
    assert Image.objects.filter(owner=client.user).count() == 1
    assert not Upload.objects.exists()
