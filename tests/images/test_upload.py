"""Uploading: what each tier gets back, and what is refused with nothing left behind."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from accounts.models import Tier
from images.models import Image, Thumbnail
from tests.conftest import image_bytes
from tests.images.conftest import stored_files


@pytest.mark.parametrize(
    ("tier", "heights", "has_original"),
    [("Basic", [200], False), ("Premium", [200, 400], True), ("Enterprise", [200, 400], True)],
)
def test_upload_response_follows_the_tier(client_for, upload, tier, heights, has_original):
    client = client_for(tier)

    response = upload(client, image_bytes(1200, 900))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "image",
        "thumbnails",
        "width",
        "height",
        "format",
        "size",
        "created_at",
        "placeholder",
    }
    assert [t["height"] for t in body["thumbnails"]] == heights
    assert (body["image"] is not None) == has_original
    assert (body["width"], body["height"], body["format"]) == (1200, 900, "JPEG")
    assert body["size"] == len(image_bytes(1200, 900))


def test_custom_tier_gets_its_own_heights(client_for, upload):
    tier = Tier.objects.create(name="Gallery", thumbnail_heights=[90, 720], original_link=False)
    client = client_for(tier)

    body = upload(client, image_bytes(1600, 1200)).json()

    assert [t["height"] for t in body["thumbnails"]] == [90, 720]
    assert body["image"] is None
    assert sorted(Thumbnail.objects.values_list("height", "actual_height")) == [
        (90, 90),
        (720, 720),
    ]


def test_original_is_stored_byte_for_byte_under_an_unguessable_key(client_for, upload):
    data = image_bytes(800, 600, "PNG", mode="RGB")
    client = client_for("Premium")

    upload(client, data, name="holiday.png")

    image = Image.objects.get()
    assert "holiday" not in image.file.name
    assert len(image.key) == 32
    with default_storage.open(image.file.name) as fh:
        assert fh.read() == data
    assert image.format == "PNG"


def test_thumbnails_keep_aspect_ratio_and_never_upscale(client_for, upload):
    client = client_for("Premium")

    upload(client, image_bytes(300, 150))

    thumbs = {t.height: (t.width, t.actual_height) for t in Thumbnail.objects.all()}
    assert thumbs == {200: (300, 150), 400: (300, 150)}


def test_format_is_detected_from_bytes_not_the_name(client_for, upload):
    client = client_for()

    response = upload(client, image_bytes(fmt="PNG"), name="actually-a-png.jpg")

    assert response.status_code == 201
    assert response.json()["format"] == "PNG"


def tiny_png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG header for a huge image whose data is a few KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 2048)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def bmp_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (10, 10)).save(buffer, "BMP")
    return buffer.getvalue()


ACCEPTED = "JPEG, PNG, WebP, AVIF, HEIC/HEIF and GIF"
BAD_UPLOADS = {
    "text": (b"hello, this is not an image", ACCEPTED),
    "empty": (b"", "empty"),
    "bmp": (bmp_bytes(), ACCEPTED),
    "truncated jpeg": (image_bytes(800, 600)[:3000], "truncated"),
    "truncated png": (image_bytes(800, 600, "PNG")[:2000], "truncated"),
    "400 megapixel png": (tiny_png_claiming(20000, 20000), "50,000,000"),
}


@pytest.mark.parametrize("case", BAD_UPLOADS)
def test_bad_uploads_are_refused_and_leave_nothing_behind(client_for, upload, case):
    data, message = BAD_UPLOADS[case]
    client = client_for("Enterprise")

    response = upload(client, data)

    assert response.status_code == 400
    errors = response.json()["image"]
    assert message.lower() in " ".join(errors).lower(), errors
    assert Image.objects.count() == 0
    assert Thumbnail.objects.count() == 0
    assert stored_files() == []


def test_upload_over_the_byte_limit_is_refused_naming_the_limit(client_for, upload, settings):
    data = image_bytes(800, 600)
    settings.MAX_UPLOAD_BYTES = len(data) - 1
    client = client_for()

    response = upload(client, data)

    assert response.status_code == 413
    message = response.json()["detail"]
    assert f"{len(data) - 1:,} bytes" in message
    assert "MAX_UPLOAD_BYTES" in message
    assert Image.objects.count() == 0 and stored_files() == []


def test_pixel_limit_follows_the_setting(client_for, upload, settings):
    settings.MAX_IMAGE_PIXELS = 100 * 100
    client = client_for()

    response = upload(client, image_bytes(200, 200))

    assert response.status_code == 400
    assert "10,000" in response.json()["image"][0]


def test_a_body_announcing_more_than_the_limit_is_refused_before_reading(client_for):
    client = client_for()

    response = client.generic(
        "POST",
        "/api/user/images/",
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(10 * 1024**3),
    )

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_missing_file_field_is_a_clear_400(client_for):
    response = client_for().post("/api/user/images/", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["image"] == ["No file was submitted."]


def test_json_upload_is_unsupported_media_type(client_for):
    response = client_for().post("/api/user/images/", {"image": "x"}, format="json")

    assert response.status_code == 415


def test_storage_failure_is_503_and_leaves_no_row(client_for, upload, settings, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the media folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocked},
        },
    }
    client = client_for()

    response = upload(client, image_bytes())

    assert response.status_code == 503
    assert "try again" in response.json()["detail"]
    assert Image.objects.count() == 0
