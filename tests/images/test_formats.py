"""Thumbnail links serve WebP or AVIF to clients that prefer them."""

import io

import pytest
from PIL import Image as PILImage

from images.delivery.negotiation import preferred_format
from images.models import Thumbnail
from tests.conftest import image_bytes
from tests.images.conftest import fetch

BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "content_type", "pil_format"),
    [
        ("image/webp,*/*", "image/webp", "WEBP"),
        ("image/avif,*/*;q=0.8", "image/avif", "AVIF"),
        ("image/avif;q=0.9,image/webp", "image/webp", "WEBP"),
        (None, "image/jpeg", "JPEG"),
        ("*/*", "image/jpeg", "JPEG"),
        ("image/jpeg,image/webp;q=0.5", "image/jpeg", "JPEG"),
    ],
)
def test_format_follows_the_accept_header(uploaded, accept, content_type, pil_format):
    _, image = uploaded("Premium")

    response = fetch(image["thumbnails"][0]["url"], accept)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert "Accept" in response["Vary"]
    picture = PILImage.open(io.BytesIO(response.body))
    assert picture.format == pil_format
    assert picture.height == 200


def test_modern_formats_are_made_once_then_stored(uploaded):
    _, image = uploaded("Premium")
    url = image["thumbnails"][1]["url"]

    first = fetch(url, "image/webp")
    second = fetch(url, "image/webp")

    assert Thumbnail.objects.filter(format="WEBP", height=400).count() == 1
    assert first["ETag"] == second["ETag"]
    assert first["ETag"] != fetch(url)["ETag"]


def test_transparent_png_keeps_its_alpha_as_webp(uploaded):
    _, image = uploaded("Premium", image_bytes(600, 450, "PNG", mode="RGBA"))

    response = fetch(image["thumbnails"][0]["url"], "image/webp")
    assert response["Content-Type"] == "image/webp"

    assert PILImage.open(io.BytesIO(response.body)).mode == "RGBA"


def test_png_source_without_accept_stays_png(uploaded):
    _, image = uploaded("Premium", image_bytes(600, 450, "PNG", mode="RGBA"))

    response = fetch(image["thumbnails"][0]["url"])

    assert response["Content-Type"] == "image/png"
    assert PILImage.open(io.BytesIO(response.body)).mode == "RGBA"


def test_formats_can_be_turned_off(uploaded, settings):
    settings.THUMBNAIL_FORMATS = []
    _, image = uploaded("Premium")

    response = fetch(image["thumbnails"][0]["url"], BROWSER_ACCEPT)

    assert response["Content-Type"] == "image/jpeg"
    assert "Vary" not in response or "Accept" not in response["Vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER_ACCEPT, "WEBP"),
        ("image/webp;q=0", None),
        ("image/webp;q=abc", None),
        ("text/html,application/xhtml+xml", None),
        ("", None),
        (",,;;q=,", None),
    ],
)
def test_accept_header_parsing(accept, expected):
    assert preferred_format(accept, "image/jpeg", ["webp", "avif"]) == expected
