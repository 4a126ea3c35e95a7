"""Answers a front end can use directly: real thumbnail sizes for srcset, a placeholder."""

import time
from datetime import datetime

import blurhash
import pytest

from images.delivery import links
from images.models import Thumbnail
from images.processing.formats import MIME_TYPES, SOURCE_FORMATS
from tests.conftest import image_bytes
from tests.images.conftest import fetch


def _image_answers(client, image_id: int) -> list[dict]:
    """The same image as the upload, detail, list and page answers show it."""
    return [
        client.get(f"/api/user/images/{image_id}/").json(),
        client.get("/api/user/images/").json()[0],
        client.get("/api/user/images/?limit=5").json()["results"][0],
    ]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1200, 900), {200: (267, 200), 400: (533, 400)}),
        ((300, 150), {200: (300, 150), 400: (300, 150)}),  # never upscaled
        ((90, 1000), {200: (18, 200), 400: (36, 400)}),
    ],
)
def test_every_thumbnail_entry_carries_its_real_pixel_size(uploaded, size, expected):
    client, created = uploaded("Premium", image_bytes(*size))

    for answer in [created, *_image_answers(client, created["id"])]:
        got = {t["height"]: (t["width"], t["actual_height"]) for t in answer["thumbnails"]}
        assert got == expected


def test_the_announced_size_is_the_size_served(uploaded):
    _, created = uploaded("Premium", image_bytes(1001, 667))

    for entry in created["thumbnails"]:
        thumb = Thumbnail.objects.get(height=entry["height"], format="JPEG")
        assert (thumb.width, thumb.actual_height) == (entry["width"], entry["actual_height"])
        assert fetch(entry["url"]).status_code == 200


def test_an_image_carries_a_valid_blurhash_placeholder(uploaded):
    client, created = uploaded("Basic", image_bytes(800, 600, "PNG", mode="RGBA"))

    for answer in [created, *_image_answers(client, created["id"])]:
        assert blurhash.is_valid_blurhash(answer["placeholder"])
        assert answer["placeholder"] == created["placeholder"]


def test_an_image_without_thumbnails_still_has_its_placeholder(client_for, upload):
    from accounts.models import Tier

    client = client_for(Tier.objects.create(name="Originals only", original_link=True))

    created = upload(client).json()

    assert created["thumbnails"] == []
    assert blurhash.is_valid_blurhash(created["placeholder"])


def test_the_placeholder_is_in_the_upload_answer_when_a_worker_makes_the_thumbnails(
    client_for, upload, monkeypatch
):
    from images.thumbnails import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks, "in_background", lambda: True)
    monkeypatch.setattr(tasks, "schedule_thumbnails", queued.append)
    client = client_for("Premium")

    created = upload(client, image_bytes(1200, 900)).json()

    assert queued == [created["id"]] and not Thumbnail.objects.exists()  # none made yet
    assert blurhash.is_valid_blurhash(created["placeholder"])


def test_thumbnail_list_entries_carry_their_real_pixel_size(uploaded):
    client, created = uploaded("Premium", image_bytes(1200, 900))

    listed = client.get("/api/user/thumbnails/").json()
    one = client.get(f"/api/user/thumbnails/{listed[0]['id']}/").json()

    sizes = {t["height"]: (t["width"], t["actual_height"]) for t in listed}
    assert sizes == {t["height"]: (t["width"], t["actual_height"]) for t in created["thumbnails"]}
    assert (one["width"], one["actual_height"]) == sizes[one["height"]]


def test_thumbnails_of_the_same_size_are_marked_so_srcset_has_no_duplicate_widths(uploaded):
    _, small = uploaded("Premium", image_bytes(300, 150))  # under both tier heights
    _, large = uploaded("Premium", image_bytes(1200, 900))

    assert [(t["height"], t["width"], t["same_size_as"]) for t in small["thumbnails"]] == [
        (200, 300, None),
        (400, 300, 200),
    ]
    assert [t["same_size_as"] for t in large["thumbnails"]] == [None, None]
    srcset = [t["width"] for t in small["thumbnails"] if t["same_size_as"] is None]
    assert len(srcset) == len(set(srcset))


def test_me_says_how_large_an_upload_may_be_and_which_types(client_for, settings):
    settings.MAX_UPLOAD_BYTES = 5_000_000

    me = client_for("Basic").get("/api/user/me/").json()

    assert me["uploads"] == {
        "max_bytes": 5_000_000,
        "accepted_types": [MIME_TYPES[name] for name in SOURCE_FORMATS],
        "field": "image",
    }


def test_a_successful_upload_carries_the_rate_limit_fields(client_for, upload):
    from accounts.models import Tier

    client = client_for(
        Tier.objects.create(name="Rated", thumbnail_heights=[50], uploads_per_hour=5)
    )

    first, second = upload(client), upload(client)

    assert first.status_code == second.status_code == 201
    assert first["RateLimit-Limit"] == "5" and first["RateLimit-Remaining"] == "4"
    assert second["RateLimit-Remaining"] == "3"
    assert second["RateLimit-Policy"] == "5;w=3600"
    assert 3590 <= int(second["RateLimit-Reset"]) <= 3600


def test_an_unlimited_rate_sends_no_rate_limit_fields(client_for, upload):
    from accounts.models import Tier

    response = upload(client_for(Tier.objects.create(name="Unrated", thumbnail_heights=[50])))

    assert response.status_code == 201 and "RateLimit-Limit" not in response


def test_an_expiring_link_says_when_it_expires(uploaded):
    client, created = uploaded("Enterprise")
    before = int(time.time())

    answer = client.get(f"/api/user/link/{created['id']}/?time=600").json()

    expires_at = datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00"))
    assert answer["expires_at"].endswith("Z")
    assert before + 600 <= expires_at.timestamp() <= int(time.time()) + 600
    assert links.verify(answer["url"].rsplit("/", 1)[1]).expires_at == expires_at.timestamp()
