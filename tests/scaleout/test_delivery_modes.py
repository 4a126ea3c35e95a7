"""The three media delivery modes on S3: the same checks, the right bytes, from the bucket."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from images.delivery import links
from images.models import Image, Thumbnail
from tests.conftest import image_bytes
from tests.live_server import http
from tests.scaleout.test_workers_and_storage import path_of, thumbnails_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stored(client_for, upload, worker, worker_tasks, bucket):
    """An Enterprise user's image with the worker's thumbnails: (client, links, bytes by link)."""
    client = client_for("Enterprise")
    data = image_bytes(1200, 900)
    body = upload(client, data).json()
    image = Image.objects.get(pk=body["id"])
    worker_tasks(1)
    thumbs = {t.height: t for t in thumbnails_of(image, 2)}
    expiring = client.get(f"/api/user/link/{image.pk}/?time=300").json()["url"]
    expected = {body["image"]: data, expiring: data}
    for thumb in body["thumbnails"]:
        expected[thumb["url"]] = bucket.read(thumbs[thumb["height"]].file.name)
    return client, image, expected


def presigned_lifetime(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def test_app_mode_streams_the_stored_bytes_with_one_get_each(stored, settings, s3_calls):
    settings.MEDIA_DELIVERY = "app"
    _, _, expected = stored
    s3_calls.clear()

    for url, data in expected.items():
        response = APIClient().get(path_of(url))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == data
        assert response["Content-Length"] == str(len(data))

    # Per file, the HEAD of django-storages' open() (public API) and one streamed GET:
    # no download to a temporary file.
    assert s3_calls == ["HeadObject", "GetObject"] * len(expected)


def test_redirect_mode_sends_presigned_urls_that_serve_the_stored_bytes(stored, settings, s3_calls):
    settings.MEDIA_DELIVERY = "redirect"
    _, _, expected = stored
    s3_calls.clear()

    for url, data in expected.items():
        response = APIClient().get(path_of(url))
        assert response.status_code == 302
        location = response["Location"]
        assert presigned_lifetime(location) <= settings.MEDIA_PRESIGNED_SECONDS
        # The redirect is never cached past the URL it points to.
        assert response["Cache-Control"] == f"private, max-age={presigned_lifetime(location) - 60}"

        status, headers, body = http("GET", location)
        assert status == 200
        assert body == data
        assert headers["Content-Type"] == "image/jpeg"

        head = APIClient().head(path_of(url))
        assert head.status_code == 302
        status, headers, body = http("HEAD", head["Location"])
        assert (status, headers["Content-Length"], body) == (200, str(len(data)), b"")

    assert s3_calls == []  # presigning is local: no S3 request from the app at all


def test_a_presigned_url_never_outlives_an_expiring_link(stored, settings):
    settings.MEDIA_DELIVERY = "redirect"
    _, image, _ = stored
    # A 300 s link issued 290 s ago has 10 s left.
    path = links.expiring_path(image.key, 300, now=time.time() - 290)

    response = APIClient().get(path)

    assert response.status_code == 302
    assert 1 <= presigned_lifetime(response["Location"]) <= 10
    assert response["Cache-Control"] == "private, max-age=0"


@pytest.mark.parametrize("mode", ["app", "nginx", "redirect"])
def test_every_mode_runs_the_same_checks(stored, settings, mode):
    settings.MEDIA_DELIVERY = mode
    client, image, expected = stored
    original, expiring, thumb_200, thumb_400 = expected
    anonymous = APIClient()
    token = path_of(thumb_200).removeprefix("/media/")

    assert anonymous.get(f"/media/{token[:-2]}xx").status_code == 404  # tampered
    assert anonymous.get(
        links.expiring_path(image.key, 300, now=time.time() - 400)
    ).status_code == (410)
    assert anonymous.get(links.thumbnail_path(image.key, 800)).status_code == 404  # not in tier
    etag = anonymous.get(path_of(thumb_200))["ETag"]
    assert anonymous.get(path_of(thumb_200), HTTP_IF_NONE_MATCH=etag).status_code == 304

    client.user.tier = type(client.user.tier).objects.create(name="Small", thumbnail_heights=[200])
    client.user.save()
    assert anonymous.get(path_of(original)).status_code == 404  # downgrade revokes
    assert anonymous.get(path_of(expiring)).status_code == 404
    assert anonymous.get(path_of(thumb_400)).status_code == 404
    assert anonymous.get(path_of(thumb_200)).status_code in (200, 302)


def test_nginx_mode_serves_the_stored_bytes_through_real_nginx(stored, gunicorn, nginx, tmp_path):
    _, _, expected = stored
    static = tmp_path / "static"
    static.mkdir()
    (static / "probe.txt").write_text("static from the volume")
    front = nginx(gunicorn(MEDIA_DELIVERY="nginx"), static)

    for url, data in expected.items():
        app_view = APIClient().get(path_of(url))  # the headers the app mode sends
        status, headers, body = http("GET", front + path_of(url))
        assert status == 200
        assert body == data
        assert headers["Content-Type"] == "image/jpeg"
        assert headers["ETag"] == app_view["ETag"]
        assert headers["Cache-Control"] == app_view["Cache-Control"]
        assert headers["Content-Disposition"] == app_view["Content-Disposition"]
        assert not any(name.lower().startswith("x-amz") for name in headers)

        status, headers, body = http("HEAD", front + path_of(url))
        assert (status, headers["Content-Length"], body) == (200, str(len(data)), b"")
        status, _, _ = http("GET", front + path_of(url), {"If-None-Match": app_view["ETag"]})
        assert status == 304

    # The internal location is not reachable from outside; broken links stay 404.
    key = Image.objects.get().file.name
    assert http("GET", f"{front}/protected-media/x/imageapi-test/{key}")[0] == 404
    assert http("GET", front + "/media/forged:token")[0] == 404
    assert http("GET", front + "/static/probe.txt")[2] == b"static from the volume"


def test_nginx_mode_makes_a_missing_thumbnail_on_demand(
    client_for, upload, worker_tasks, paused_worker, gunicorn, nginx, tmp_path, bucket
):
    paused_worker(True)
    client = client_for("Premium")
    body = upload(client).json()
    front = nginx(gunicorn(MEDIA_DELIVERY="nginx"), tmp_path)

    for thumb in body["thumbnails"]:
        status, headers, data = http("GET", front + path_of(thumb["url"]))
        assert status == 200
        assert headers["Content-Type"] == "image/jpeg"
        assert data == bucket.read(Thumbnail.objects.get(height=thumb["height"]).file.name)

    paused_worker(False)
    worker_tasks(1)  # the late task finds nothing left to do
    assert Thumbnail.objects.count() == 2
