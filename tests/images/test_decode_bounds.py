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

from images import processing
from images.models import Thumbnail
from images.thumbnails import concurrency
from tests.images.concurrency import (
    SAW_CLAIM,
    WAIT,
    Gate,
    Timeline,
    in_thread,
    spy,
    watch_claims,
)
from tests.images.conftest import fetch

pytestmark = pytest.mark.django_db(transaction=True)

FETCHES = 8
WEBP = "image/webp"  # a format the upload did not make: the first fetch renders it
RENDERED = "rendered"


@pytest.fixture
def image(uploaded) -> dict:
    """A Premium user's JPEG (200 and 400 px thumbnails), as the upload answered."""
    return uploaded("Premium")[1]


@pytest.fixture
def timeline(image, monkeypatch) -> Timeline:
    """From after the upload on: every call of the renderer (one decode each) recorded as
    RENDERED, and every look at another request's claim that found it held as SAW_CLAIM."""
    timeline = Timeline()
    spy(monkeypatch, processing, "render_thumbnails", before=timeline.hook(RENDERED))
    watch_claims(monkeypatch, timeline)
    return timeline


def test_eight_first_fetches_of_a_missing_variant_decode_once(image, timeline, monkeypatch):
    url = image["thumbnails"][0]["url"]
    maker = Gate()  # the first to render holds on until every other fetch waits for it
    spy(monkeypatch, processing, "render_thumbnails", after=maker.pass_through)

    with ThreadPoolExecutor(FETCHES) as pool:
        futures = [in_thread(pool, fetch, url, WEBP) for _ in range(FETCHES)]
        maker.wait_entered()
        timeline.wait_for(SAW_CLAIM, threads=FETCHES - 1)
        maker.open()
        results = [f.result(WAIT) for f in futures]

    assert [r.status_code for r in results] == [200] * FETCHES
    assert timeline.count(RENDERED) == 1
    assert len({r.body for r in results}) == 1  # all seven waiters got the one result
    assert PILImage.open(io.BytesIO(results[0].body)).format == "WEBP"
    assert Thumbnail.objects.filter(format="WEBP").count() == 1


def test_different_variants_are_made_independently(settings, image, timeline, monkeypatch):
    settings.MAX_CONCURRENT_DECODES = 4
    urls = [t["url"] for t in image["thumbnails"]]  # 200 and 400 px
    # Each render waits for the other three: they pass only if all four run at once.
    together = threading.Barrier(4)
    spy(monkeypatch, processing, "render_thumbnails", after=lambda: together.wait(WAIT))

    with ThreadPoolExecutor(4) as pool:
        futures = [
            in_thread(pool, fetch, url, accept)
            for url in urls
            for accept in ("image/webp", "image/avif")
        ]
        results = [f.result(WAIT) for f in futures]

    assert [r.status_code for r in results] == [200] * 4
    assert timeline.count(RENDERED) == 4
    assert SAW_CLAIM not in timeline.events  # none waited for another


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
        busy = in_thread(pool, fetch, small, WEBP)
        gate.wait_entered()  # the one slot is held by a decode in progress
        began = time.monotonic()
        refused = fetch(large, WEBP)
        waited = time.monotonic() - began
        gate.open()
        first = busy.result(WAIT)

    assert refused.status_code == 503
    assert int(refused["Retry-After"]) >= 1
    assert "try again" in refused.json()["detail"]
    assert 0.5 <= waited < 5
    assert first.status_code == 200
    again = fetch(large, WEBP)  # the slot is free again
    assert again.status_code == 200
    assert PILImage.open(io.BytesIO(again.body)).height == 400


def test_a_waiter_makes_the_thumbnail_itself_when_its_maker_fails(image, timeline, monkeypatch):
    url = image["thumbnails"][0]["url"]
    gate = Gate()

    def fail_first_render():
        if gate.calls == 0:
            gate.pass_through()
            raise processing.ImageRejected("simulated", code="corrupt")

    spy(monkeypatch, processing, "render_thumbnails", before=fail_first_render)

    with ThreadPoolExecutor(2) as pool:
        maker = in_thread(pool, fetch, url, WEBP)
        gate.wait_entered()  # the maker holds the claim
        waiter = in_thread(pool, fetch, url, WEBP)
        timeline.wait_for(SAW_CLAIM)  # the waiter polls for the maker's row
        gate.open()
        made, waited = maker.result(WAIT), waiter.result(WAIT)

    assert made.status_code == 404  # a thumbnail that cannot be made
    assert waited.status_code == 200  # the waiter claimed it after the maker gave up
    # The waiter waited on the maker's claim, then made the thumbnail itself.
    assert timeline.threads(RENDERED) == timeline.threads(SAW_CLAIM)
    assert timeline.count(RENDERED) == 1
    assert Thumbnail.objects.filter(format="WEBP").count() == 1


def test_a_waiter_gives_up_after_the_wait_limit(settings, image, timeline):
    settings.THUMBNAIL_WAIT_SECONDS = 0.5
    thumb = Thumbnail.objects.get(height=200)
    # Another process holds the claim and never finishes (until its claim expires).
    cache.add(concurrency.claim_key(thumb.image_id, 200, "WEBP"), "elsewhere", timeout=60)

    began = time.monotonic()
    response = fetch(image["thumbnails"][0]["url"], WEBP)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert time.monotonic() - began < 5
    assert SAW_CLAIM in timeline.events  # it waited on the other's claim...
    assert timeline.count(RENDERED) == 0  # ...and never made the thumbnail itself
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
