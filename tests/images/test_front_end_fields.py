"""Answers a front end can use directly: real thumbnail sizes for srcset, a placeholder."""

import blurhash
import pytest

from images.models import Thumbnail
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


def test_the_placeholder_is_null_until_a_thumbnail_exists(client_for, upload):
    from accounts.models import Tier

    client = client_for(Tier.objects.create(name="Originals only", original_link=True))

    created = upload(client).json()

    assert created["thumbnails"] == []
    assert created["placeholder"] is None
