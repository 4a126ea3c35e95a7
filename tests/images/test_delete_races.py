"""Deleting an image while its thumbnails are being made or sent is never a 500.

Each test forces one interleaving with real threads: a spy that calls through pauses
the fetch (or the worker, or the delete) at the worst moment, the other side goes ahead,
then the paused one goes on. Spies record what each thread did in a timeline, and each
test asserts that the interleaving it names is the one that happened. The delete
answers 204, the fetch 404, and no file is left behind.
Run on SQLite and on PostgreSQL (``make test-postgres``).
"""

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.db.models import deletion

from accounts.models import Tier
from images import processing, services
from images.delivery import grants
from images.files import storage
from images.models import Image, Thumbnail
from images.thumbnails import rendering, tasks
from tests.images.concurrency import (
    SAW_CLAIM,
    WAIT,
    Gate,
    Timeline,
    backend_pid,
    blocked_by,
    in_thread,
    pause_after,
    spy,
    watch_claims,
)
from tests.images.conftest import fetch, stored_files_and_folders

pytestmark = pytest.mark.django_db(transaction=True)

WEBP = "image/webp"  # a format the upload did not make: the fetch renders it
DELETED = "image deleted"
RENDERED = "thumbnails rendered"
STORES = "storing them"


@pytest.fixture
def errors(caplog):
    """Log records at ERROR or above, from every thread."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def timeline(monkeypatch) -> Timeline:
    """The race's timeline; the delete writes DELETED into it once it has committed."""
    timeline = Timeline()
    spy(monkeypatch, services, "delete_image", after=timeline.hook(DELETED))
    return timeline


@pytest.fixture
def image_missing_a_thumbnail(client_for, upload):
    """(client, image) of a Basic user whose tier has since gained a height: the worker
    has a thumbnail to make."""
    client = client_for("Basic")
    image = upload(client).json()
    Tier.objects.filter(name="Basic").update(thumbnail_heights=[200, 400])
    return client, image


@pytest.fixture
def pause_after_rendering(monkeypatch, timeline) -> Callable[[], Gate]:
    """From the call on, whoever renders thumbnails pauses once they are rendered
    (RENDERED), and STORES is recorded when it goes on to store them."""

    def start() -> Gate:
        gate = pause_after(monkeypatch, processing, "render_thumbnails", timeline, RENDERED)
        spy(monkeypatch, rendering, "store_rendered", before=timeline.hook(STORES))
        return gate

    return start


def delete(client, image) -> object:
    return client.delete(f"/api/user/images/{image['id']}/")


def test_deleting_while_a_fetch_renders_the_thumbnail(
    uploaded, pause_after_rendering, errors, timeline
):
    client, image = uploaded("Premium")
    gate = pause_after_rendering()

    with ThreadPoolExecutor(1) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"], WEBP)
        gate.wait_entered()  # decoded, not yet stored
        deleted = delete(client, image)
        gate.open()
        fetched = fetching.result(WAIT)

    assert timeline.events == [RENDERED, DELETED, STORES]
    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert fetched.json() == {"detail": "Not found."}
    assert not Image.objects.exists() and not Thumbnail.objects.exists()
    assert stored_files_and_folders() == []
    assert errors() == []


def test_deleting_while_a_fetch_waits_for_another_to_render(
    uploaded, pause_after_rendering, monkeypatch, errors, timeline
):
    client, image = uploaded("Premium")
    url = image["thumbnails"][0]["url"]
    gate = pause_after_rendering()
    watch_claims(monkeypatch, timeline)

    with ThreadPoolExecutor(2) as pool:
        maker = in_thread(pool, fetch, url, WEBP)
        gate.wait_entered()  # rendered under its claim, not yet stored
        waiter = in_thread(pool, fetch, url, WEBP)
        timeline.wait_for(SAW_CLAIM)  # the waiter polls for the maker's row
        deleted = delete(client, image)
        gate.open()
        results = [maker.result(WAIT).status_code, waiter.result(WAIT).status_code]

    assert timeline.events == [RENDERED, SAW_CLAIM, DELETED, STORES]
    assert deleted.status_code == 204
    assert results == [404, 404]
    assert stored_files_and_folders() == []
    assert errors() == []


def test_deleting_while_a_worker_makes_the_thumbnails(
    image_missing_a_thumbnail, pause_after_rendering, errors, timeline
):
    client, image = image_missing_a_thumbnail
    gate = pause_after_rendering()

    with ThreadPoolExecutor(1) as pool:
        working = in_thread(pool, tasks.generate_thumbnails_task, image["id"])
        gate.wait_entered()
        deleted = delete(client, image)
        gate.open()
        outcome = working.result(WAIT)  # the task ends quietly: no exception

    assert timeline.events == [RENDERED, DELETED, STORES]
    assert deleted.status_code == 204
    assert outcome is None
    assert stored_files_and_folders() == []
    assert errors() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks: the delete's IMMEDIATE transaction holds the one write "
    "lock from its first statement, so no insert can meet a half-done delete",
)
def test_a_worker_storing_while_the_delete_holds_the_image(
    image_missing_a_thumbnail, monkeypatch, errors, timeline
):
    """The delete has locked the image row and collected its thumbnails: the worker's
    INSERT commits only after the delete (its foreign key check waits on the locked
    row), then fails on the deleted image. The delete never sees a foreign-key error."""
    client, image = image_missing_a_thumbnail
    gate = Gate()
    deleting_session = []

    def hold_the_delete() -> None:
        deleting_session.append(backend_pid())
        gate.pass_through()

    spy(monkeypatch, deletion.Collector, "delete", before=hold_the_delete)
    spy(monkeypatch, Thumbnail.objects, "bulk_create", after=timeline.hook("worker inserted"))

    with ThreadPoolExecutor(2) as pool:
        deleting = in_thread(pool, delete, client, image)
        gate.wait_entered()  # the image row is locked, its rows collected, none deleted
        working = in_thread(pool, tasks.generate_thumbnails_task, image["id"])
        timeline.wait_for("worker inserted")
        worker_waited = blocked_by(deleting_session[0], unless=working)
        gate.open()
        deleted, outcome = deleting.result(WAIT), working.result(WAIT)

    assert worker_waited, "the worker's insert committed while the delete was under way"
    assert timeline.events == ["worker inserted", DELETED]
    assert deleted.status_code == 204
    assert outcome is None
    assert not Image.objects.exists() and not Thumbnail.objects.exists()
    assert stored_files_and_folders() == []
    assert errors() == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer at a time: the delete waits (see the test after this one)",
)
def test_a_delete_goes_through_a_thumbnail_insert_not_yet_committed(
    uploaded, monkeypatch, errors, timeline
):
    """PostgreSQL checks the foreign key when the insert commits: the delete is not held
    up, and the insert then fails on the deleted image (the fetch is a 404)."""
    client, image = uploaded("Premium")
    gate = pause_after(monkeypatch, Thumbnail.objects, "bulk_create", timeline, "fetch inserted")

    with ThreadPoolExecutor(1) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"], WEBP)
        gate.wait_entered()  # inside the INSERT's transaction
        deleted = delete(client, image)  # done while the insert is still open
        timeline.record("fetch commits")
        gate.open()
        fetched = fetching.result(WAIT)

    assert timeline.events == ["fetch inserted", DELETED, "fetch commits"]
    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert not Thumbnail.objects.exists()
    assert stored_files_and_folders() == []
    assert errors() == []


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="PostgreSQL does not hold the delete up (see the test before this one)",
)
def test_a_delete_waits_for_a_thumbnail_insert_to_commit_then_deletes_it_too(
    uploaded, monkeypatch, errors, timeline
):
    """SQLite has one writer at a time: the delete waits for the insert to commit, then
    deletes that thumbnail with the rest (the fetch, finished before, may have been
    served)."""
    client, image = uploaded("Premium")
    gate = pause_after(monkeypatch, Thumbnail.objects, "bulk_create", timeline, "fetch inserted")

    def note_the_write_lock(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):
            return execute(sql, params, many, context)
        timeline.record("delete asks to write")
        try:
            return execute(sql, params, many, context)
        finally:
            timeline.record("delete may write")

    def delete_noting_its_writes():
        with connection.execute_wrapper(note_the_write_lock):
            return delete(client, image)

    with ThreadPoolExecutor(2) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"], WEBP)
        gate.wait_entered()  # inside the INSERT's transaction
        deleting = in_thread(pool, delete_noting_its_writes)
        timeline.wait_for("delete asks to write")
        held_up = not timeline.happens("delete may write", within=0.5)
        timeline.record("fetch commits")
        gate.open()
        fetched, deleted = fetching.result(WAIT), deleting.result(WAIT)

    assert held_up, "the delete's transaction began while the insert was not committed"
    assert timeline.events == [
        "fetch inserted",
        "delete asks to write",
        "fetch commits",
        "delete may write",
        DELETED,
    ]
    assert deleted.status_code == 204
    assert fetched.status_code in (200, 404)
    assert not Thumbnail.objects.exists()
    assert stored_files_and_folders() == []
    assert errors() == []


def test_deleting_after_a_fetch_found_the_file_but_before_it_is_sent(
    uploaded, monkeypatch, errors, timeline
):
    client, image = uploaded("Premium")
    gate = pause_after(monkeypatch, grants, "resolve", timeline, "fetch found")
    spy(monkeypatch, storage, "open_stream", before=timeline.hook("fetch opens the file"))

    with ThreadPoolExecutor(1) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"], "image/jpeg")
        gate.wait_entered()  # the row was read; the file not yet opened
        deleted = delete(client, image)
        gate.open()
        fetched = fetching.result(WAIT)

    assert timeline.events == ["fetch found", DELETED, "fetch opens the file"]
    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert stored_files_and_folders() == []
    assert errors() == []


def test_a_deleted_image_leaves_no_file_and_no_empty_folder(uploaded):
    client, image = uploaded("Premium")
    key = Image.objects.get().key
    assert f"thumbnails/{key}" in stored_files_and_folders() or storage.is_s3()

    assert delete(client, image).status_code == 204

    assert stored_files_and_folders() == []


def test_a_folder_stays_while_it_still_holds_files(uploaded):
    if storage.is_s3():
        pytest.skip("S3 has no folders")
    client, _ = uploaded("Premium")
    thumb = Thumbnail.objects.get(height=400)
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200])  # 400 may go now

    assert client.delete(f"/api/user/thumbnails/{thumb.pk}/").status_code == 204

    left = stored_files_and_folders()
    assert f"thumbnails/{thumb.image.key}" in left
    assert any(name.startswith(f"thumbnails/{thumb.image.key}/200-") for name in left)


def test_a_file_saved_into_a_folder_removed_at_that_moment_is_saved_again(monkeypatch):
    if storage.is_s3():
        pytest.skip("S3 has no folders")
    from django.core.files.storage import default_storage, filesystem

    real_makedirs = filesystem.os.makedirs
    removed = []

    def makedirs_then_lose_it(path, *args, **kwargs):
        real_makedirs(path, *args, **kwargs)
        if not removed and str(path).endswith("abc"):  # its last file was just deleted
            removed.append(path)
            filesystem.os.rmdir(path)

    monkeypatch.setattr(filesystem.os, "makedirs", makedirs_then_lose_it)

    names = storage.save_then_record({"thumbnails/abc/200-x.jpg": b"pixels"}, lambda n: n)

    assert removed
    assert default_storage.open(names[0]).read() == b"pixels"
