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


def _heic(img: PILImage.Image) -> bytes:
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(img).save(out, quality=90)
    return out.getvalue()


def _pillow(fmt: str, img: PILImage.Image, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def _animated_gif() -> bytes:
    frames = [PILImage.new("RGB", (600, 450), colour) for colour in ("red", "lime", "blue")]
    return _pillow("GIF", frames[0], save_all=True, append_images=frames[1:], duration=50)


PHOTO = PILImage.open(io.BytesIO(image_bytes(600, 450))).convert("RGB")
NEW_FORMATS = {
    # upload format: (bytes, original's Content-Type, thumbnail's Content-Type, Pillow's)
    "HEIF": (lambda: _heic(PHOTO), "image/heic", "image/jpeg", "JPEG"),
    "HEIF with alpha": (lambda: _heic(PHOTO.convert("RGBA")), "image/heic", "image/png", "PNG"),
    "AVIF": (lambda: _pillow("AVIF", PHOTO, speed=9), "image/avif", "image/jpeg", "JPEG"),
    "WEBP": (lambda: _pillow("WEBP", PHOTO), "image/webp", "image/webp", "WEBP"),
    "GIF": (_animated_gif, "image/gif", "image/png", "PNG"),
}


@pytest.mark.parametrize("case", NEW_FORMATS)
def test_every_accepted_format_uploads_and_serves(uploaded, case):
    make, original_type, thumbnail_type, pil_format = NEW_FORMATS[case]
    data = make()
    _, image = uploaded("Premium", data)

    assert image["format"] == case.split()[0]
    assert (image["width"], image["height"]) == (600, 450)
    response = fetch(image["image"])
    assert response.status_code == 200
    assert (response["Content-Type"], response.body) == (original_type, data)
    for entry in image["thumbnails"]:
        response = fetch(entry["url"])
        assert response.status_code == 200
        assert response["Content-Type"] == thumbnail_type
        picture = PILImage.open(io.BytesIO(response.body))
        assert (picture.format, picture.height) == (pil_format, entry["height"])
    # Browsers that ask for a modern format still get it.
    response = fetch(image["thumbnails"][0]["url"], "image/avif,*/*")
    assert response["Content-Type"] == "image/avif"
    assert PILImage.open(io.BytesIO(response.body)).format == "AVIF"


def test_a_gif_with_ten_thousand_frames_is_refused_with_its_reason(client_for, upload):
    from tests.processing.hostile import gif_frames

    response = upload(client_for("Premium"), gif_frames(10_000))

    assert response.status_code == 400
    assert "MAX_FRAMES" in " ".join(response.json()["image"])
