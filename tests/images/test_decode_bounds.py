"""Decoding is bounded: each thumbnail is made once however many ask, a few decodes at a time.

Real threads fetch through the whole stack (Django's test client, one database
connection each), so these run with committed transactions (``transaction=True``).
"""

import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from PIL import Image as PILImage
from rest_framework.test import APIClient

from images import processing
from images.models import Thumbnail
from images.thumbnails import concurrency
from tests.images.concurrency import WAIT, Gate, in_thread, spy
from tests.images.conftest import path_of

pytestmark = pytest.mark.django_db(transaction=True)

FETCHES = 8


def fetch(url: str, accept: str = "image/webp"):
    response = APIClient().get(path_of(url), HTTP_ACCEPT=accept)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def count_renders(monkeypatch):
    """From now on, every call of the renderer (one decode each) is recorded. Calls go
    through, slowly, so every racing request looks for the thumbnail before it is stored."""

    def start() -> list[int]:
        calls: list[int] = []
        spy(
            monkeypatch,
            processing,
            "render_thumbnails",
            before=lambda: calls.append(threading.get_ident()),
            after=lambda: time.sleep(0.5),
        )
        return calls

    return start


def test_eight_first_fetches_of_a_missing_variant_decode_once(uploaded, count_renders):
    _, image = uploaded("Premium")
    renders = count_renders()
    url = image["thumbnails"][0]["url"]
    start = threading.Barrier(FETCHES)

    def first_fetch():
        start.wait(WAIT)
        return fetch(url)

    with ThreadPoolExecutor(FETCHES) as pool:
        results = [f.result(WAIT) for f in [in_thread(pool, first_fetch) for _ in range(FETCHES)]]

    assert [r.status_code for r, _ in results] == [200] * FETCHES
    assert len(renders) == 1
    assert len({body for _, body in results}) == 1  # all seven waiters got the one result
    assert PILImage.open(io.BytesIO(results[0][1])).format == "WEBP"
    assert Thumbnail.objects.filter(format="WEBP").count() == 1


def test_different_variants_are_made_independently(uploaded, count_renders):
    _, image = uploaded("Premium")
    renders = count_renders()
    urls = [t["url"] for t in image["thumbnails"]]  # 200 and 400 px

    with ThreadPoolExecutor(4) as pool:
        futures = [
            in_thread(pool, fetch, url, accept)
            for url in urls
            for accept in ("image/webp", "image/avif")
        ]
        results = [f.result(WAIT) for f in futures]

    assert [r.status_code for r, _ in results] == [200] * 4
    assert len(renders) == 4


def test_a_fetch_that_finds_every_decode_slot_taken_is_told_to_retry(
    settings, uploaded, monkeypatch
):
    settings.MAX_CONCURRENT_DECODES = 1
    settings.DECODE_WAIT_SECONDS = 0.5
    _, image = uploaded("Premium")
    small, large = (t["url"] for t in image["thumbnails"])
    gate = Gate()
    spy(monkeypatch, processing, "render_thumbnails", after=gate.pass_through)

    with ThreadPoolExecutor(1) as pool:
        busy = in_thread(pool, fetch, small)
        gate.wait_entered()  # the one slot is held by a decode in progress
        began = time.monotonic()
        refused, _ = fetch(large)
        waited = time.monotonic() - began
        gate.open()
        first, _ = busy.result(WAIT)

    assert refused.status_code == 503
    assert int(refused["Retry-After"]) >= 1
    assert "try again" in refused.json()["detail"]
    assert 0.5 <= waited < 5
    assert first.status_code == 200
    again, body = fetch(large)  # the slot is free again
    assert again.status_code == 200
    assert PILImage.open(io.BytesIO(body)).height == 400


def test_a_waiter_makes_the_thumbnail_itself_when_its_maker_fails(uploaded, monkeypatch):
    _, image = uploaded("Premium")
    url = image["thumbnails"][0]["url"]
    gate = Gate()
    failed = []

    def fail_first_render():
        if not failed:
            failed.append(True)
            gate.pass_through()
            raise processing.ImageRejected("simulated", code="corrupt")

    spy(monkeypatch, processing, "render_thumbnails", before=fail_first_render)

    with ThreadPoolExecutor(2) as pool:
        maker = in_thread(pool, fetch, url)
        gate.wait_entered()  # the maker holds the claim
        waiter = in_thread(pool, fetch, url)
        time.sleep(0.3)  # the waiter is polling for the row
        gate.open()
        made, waited = maker.result(WAIT)[0], waiter.result(WAIT)[0]

    assert made.status_code == 404  # a thumbnail that cannot be made
    assert waited.status_code == 200  # the waiter claimed it after the maker gave up
    assert Thumbnail.objects.filter(format="WEBP").count() == 1


def test_a_waiter_gives_up_after_the_wait_limit(settings, uploaded):
    settings.THUMBNAIL_WAIT_SECONDS = 0.5
    _, image = uploaded("Premium")
    thumb = Thumbnail.objects.get(height=200)
    # Another process holds the claim and never finishes (until its claim expires).
    cache.add(concurrency.claim_key(thumb.image_id, 200, "WEBP"), "elsewhere", timeout=60)

    began = time.monotonic()
    response, _ = fetch(image["thumbnails"][0]["url"])

    assert response.status_code == 503
    assert response["Retry-After"]
    assert time.monotonic() - began < 5
    assert not Thumbnail.objects.filter(format="WEBP").exists()


def test_uploads_wait_for_a_decode_slot_too(settings, client_for, upload, monkeypatch):
    settings.MAX_CONCURRENT_DECODES = 1
    settings.DECODE_WAIT_SECONDS = 0.3
    client = client_for("Premium")
    gate = Gate()
    spy(monkeypatch, processing, "decode", after=gate.pass_through)

    with ThreadPoolExecutor(1) as pool:
        first = in_thread(pool, upload, client)
        gate.wait_entered()
        refused = upload(client)
        gate.open()
        accepted = first.result(WAIT)

    assert refused.status_code == 503
    assert refused["Retry-After"]
    assert accepted.status_code == 201
