"""The seed's image and thumbnail endpoints: shapes, ownership, deletion, pagination."""

import pytest
from django.core.files.storage import default_storage

from accounts.models import Tier
from images.models import Image, Thumbnail


def test_list_is_a_plain_array_newest_first(uploaded, upload):
    client, first = uploaded("Premium")
    second = upload(client).json()

    response = client.get("/api/user/images/")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [second["id"], first["id"]]


def test_limit_switches_on_a_paginated_envelope(uploaded):
    client, image = uploaded("Basic")

    body = client.get("/api/user/images/?limit=10&offset=0").json()

    assert body["count"] == 1
    assert [item["id"] for item in body["results"]] == [image["id"]]
    assert set(body) == {"count", "next", "previous", "results"}


def test_retrieve_returns_the_image(uploaded):
    client, image = uploaded("Premium")

    response = client.get(f"/api/user/images/{image['id']}/")

    assert response.status_code == 200
    assert response.json() == image


def test_thumbnails_list_and_retrieve_shapes(uploaded):
    client, image = uploaded("Premium")

    listing = client.get("/api/user/thumbnails/").json()

    assert [(t["image_id"], t["height"]) for t in listing] == [
        (image["id"], 200),
        (image["id"], 400),
    ]
    assert set(listing[0]) == {"id", "image_id", "height", "thumbnail", "width", "actual_height"}
    assert listing[0]["thumbnail"] == image["thumbnails"][0]["url"]
    one = client.get(f"/api/user/thumbnails/{listing[1]['id']}/").json()
    assert one == listing[1]


def test_thumbnails_list_hides_heights_the_tier_no_longer_has(uploaded):
    from accounts.models import Tier

    client, _ = uploaded("Premium")
    client.user.tier = Tier.objects.get(name="Basic")
    client.user.save()

    assert [t["height"] for t in client.get("/api/user/thumbnails/").json()] == [200]


def test_delete_image_removes_row_files_and_thumbnails(
    uploaded, django_capture_on_commit_callbacks
):
    client, image = uploaded("Premium")
    stored = Image.objects.get()
    names = [stored.file.name, *stored.thumbnails.values_list("file", flat=True)]
    assert all(default_storage.exists(n) for n in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/user/images/{image['id']}/")

    assert response.status_code == 204
    assert not Image.objects.exists() and not Thumbnail.objects.exists()
    assert not any(default_storage.exists(n) for n in names)


def test_deleting_a_thumbnail_the_tier_includes_is_a_conflict(uploaded):
    client, _ = uploaded("Premium")
    thumb = Thumbnail.objects.get(height=400)

    response = client.delete(f"/api/user/thumbnails/{thumb.pk}/")

    assert response.status_code == 409
    assert "400 px" in response.json()["detail"] and "Delete the image" in response.json()["detail"]
    assert Thumbnail.objects.filter(pk=thumb.pk).exists()
    assert default_storage.exists(thumb.file.name)


def test_a_thumbnail_the_tier_dropped_can_be_deleted(uploaded, django_capture_on_commit_callbacks):
    client, _ = uploaded("Premium")
    thumb = Thumbnail.objects.get(height=400)
    client.user.tier = Tier.objects.get(name="Basic")
    client.user.save()
    assert client.get(f"/api/user/thumbnails/{thumb.pk}/").status_code == 404  # hidden

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"/api/user/thumbnails/{thumb.pk}/")

    assert response.status_code == 204
    assert not Thumbnail.objects.filter(image=thumb.image, height=400).exists()
    assert not default_storage.exists(thumb.file.name)
    assert client.delete(f"/api/user/thumbnails/{thumb.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_deleting_a_user_removes_their_files_after_commit(uploaded):
    client, _ = uploaded("Premium")
    names = [i.file.name for i in Image.objects.all()] + [
        t.file.name for t in Thumbnail.objects.all()
    ]
    assert len(names) == 3

    client.user.delete()

    assert not Image.objects.exists()
    assert not any(default_storage.exists(n) for n in names)


@pytest.mark.django_db(transaction=True)
def test_bulk_queryset_delete_removes_files(uploaded):
    uploaded("Basic")
    uploaded("Basic")
    names = [i.file.name for i in Image.objects.all()]

    Image.objects.all().delete()

    assert not any(default_storage.exists(n) for n in names)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_delete_keeps_the_files(uploaded):
    from django.db import transaction

    uploaded("Basic")
    image = Image.objects.get()
    with pytest.raises(RuntimeError), transaction.atomic():
        image.delete()
        raise RuntimeError("abort")

    assert default_storage.exists(image.file.name)


class TestOtherUsersObjectsDoNotExist:
    @pytest.fixture
    def victim(self, uploaded):
        _, image = uploaded("Enterprise")
        return image

    @pytest.fixture
    def intruder(self, client_for):
        return client_for("Enterprise")

    def test_retrieve_and_delete_image(self, victim, intruder):
        assert intruder.get(f"/api/user/images/{victim['id']}/").status_code == 404
        assert intruder.delete(f"/api/user/images/{victim['id']}/").status_code == 404
        assert Image.objects.filter(pk=victim["id"]).exists()

    def test_retrieve_and_delete_thumbnail(self, victim, intruder):
        thumb = Thumbnail.objects.first()
        assert intruder.get(f"/api/user/thumbnails/{thumb.pk}/").status_code == 404
        assert intruder.delete(f"/api/user/thumbnails/{thumb.pk}/").status_code == 404
        assert Thumbnail.objects.filter(pk=thumb.pk).exists()

    def test_link(self, victim, intruder):
        assert intruder.get(f"/api/user/link/{victim['id']}/?time=300").status_code == 404

    def test_lists_are_empty(self, victim, intruder):
        assert intruder.get("/api/user/images/").json() == []
        assert intruder.get("/api/user/thumbnails/").json() == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/user/images/999999/",
        "/api/user/images/abc/",
        "/api/user/images/99999999999999999999999/",
        "/api/user/thumbnails/999999/",
        "/api/user/link/999999/?time=300",
        "/api/user/link/99999999999999999999999/?time=300",
        "/no/such/page/",
    ],
)
def test_unknown_ids_are_json_404(client_for, path):
    response = client_for("Enterprise").get(path)

    assert response.status_code == 404
    assert response.json()["detail"]
