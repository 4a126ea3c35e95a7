"""Across processes and on S3: a thumbnail made once by many app processes, orphans found."""

import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image as PILImage

from images.models import Image, Thumbnail
from tests.conftest import image_bytes
from tests.live_server import http

pytestmark = pytest.mark.django_db(transaction=True)

FETCHES = 8


def test_eight_first_fetches_across_two_app_processes_decode_once(
    client_for, upload, gunicorn, logs
):
    # A PNG has no reduced-size decode: each render takes long enough for the two
    # processes' first requests to overlap.
    response = upload(client_for("Basic"), image_bytes(4000, 3000, "PNG"))
    assert response.status_code == 201, response.content
    path = response.json()["thumbnails"][0]["url"].split("testserver", 1)[1]
    servers = [gunicorn(LOG_LEVEL="INFO"), gunicorn(LOG_LEVEL="INFO")]
    accept = {"Accept": "image/webp"}

    with ThreadPoolExecutor(FETCHES) as pool:
        futures = [pool.submit(http, "GET", servers[n % 2] + path, accept) for n in range(FETCHES)]
        results = [f.result(timeout=60) for f in futures]

    assert [status for status, _, _ in results] == [200] * FETCHES
    assert len({body for _, _, body in results}) == 1
    assert PILImage.open(io.BytesIO(results[0][2])).format == "WEBP"
    key = Image.objects.get().key
    renders = sum(
        log.read_text().count(f"image {key}: rendering WEBP") for log in logs.glob("gunicorn-*.log")
    )
    assert renders == 1
    assert Thumbnail.objects.filter(format="WEBP").count() == 1


def cleanup(*args: str) -> str:
    out = io.StringIO()
    call_command("cleanup_storage", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_cleanup_storage_finds_and_removes_orphans_in_the_bucket(
    client_for, upload, bucket, settings
):
    settings.CELERY_BROKER_URL = ""  # thumbnails made in the request: no file lands later
    assert upload(client_for("Premium")).status_code == 201
    recorded = {i.file.name for i in Image.objects.all()} | {
        t.file.name for t in Thumbnail.objects.all()
    }
    original = default_storage.save("originals/ab/ab" + "0" * 30 + ".jpg", ContentFile(b"x" * 10))
    thumb = default_storage.save("thumbnails/" + "c" * 32 + "/200-0.jpg", ContentFile(b"y" * 5))
    foreign = default_storage.save("backups/db.sql", ContentFile(b"z"))

    # Just stored: inside the default grace period, as an upload in flight would be
    # (counted and named as left alone, never removed).
    assert "younger than the grace period" in cleanup()
    time.sleep(1.1)  # S3 times have one-second resolution

    listed = cleanup("--grace", "0")
    assert original in listed and thumb in listed
    assert "2 files without a row (15 bytes), 0 empty folders" in listed
    assert bucket.keys() == recorded | {original, thumb, foreign}  # a dry run

    removed = cleanup("--grace", "0", "--delete")
    assert "Removed 2 files" in removed
    assert bucket.keys() == recorded | {foreign}
