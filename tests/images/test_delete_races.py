"""Deleting an image while its thumbnails are being made or sent is never a 500.

Each test forces one interleaving with real threads: a spy that calls through pauses
the fetch (or the worker) at the worst moment, the owner deletes the image, then the
fetch goes on. The delete answers 204, the fetch 404, and no file is left behind.
Run on SQLite and on PostgreSQL (``make test-postgres``).
"""

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.models import Tier
from images import processing
from images.delivery import grants
from images.files import orphans, storage
from images.models import Image, Thumbnail
from images.thumbnails import tasks
from tests.images.concurrency import WAIT, Gate, in_thread, spy
from tests.images.conftest import path_of

pytestmark = pytest.mark.django_db(transaction=True)


def stored_files() -> list[str]:
    """Every file in media storage, and on local disk every folder below the top ones."""
    names = [name for prefix in orphans.PREFIXES for name in orphans.walk(prefix)]
    for prefix in orphans.PREFIXES:
        root = storage.local_path(prefix)
        if root is not None and root.is_dir():
            names += [f"{prefix}/{p.relative_to(root).as_posix()}" for p in root.iterdir()]
    return sorted(set(names))


def fetch(url: str, accept: str = "image/webp"):
    from rest_framework.test import APIClient

    response = APIClient().get(path_of(url), HTTP_ACCEPT=accept)
    if response.streaming:
        b"".join(response.streaming_content)
    return response


@pytest.fixture
def errors(caplog):
    """Log records at ERROR or above, from every thread."""
    caplog.set_level(logging.WARNING)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_deleting_while_a_fetch_renders_the_thumbnail(uploaded, monkeypatch, errors):
    client, image = uploaded("Premium")
    gate = Gate()
    spy(monkeypatch, processing, "render_thumbnails", after=gate.pass_through)

    with ThreadPoolExecutor(1) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"])
        gate.wait_entered()  # decoded, not yet stored
        deleted = client.delete(f"/api/user/images/{image['id']}/")
        gate.open()
        fetched = fetching.result(WAIT)

    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert fetched.json() == {"detail": "Not found."}
    assert not Image.objects.exists() and not Thumbnail.objects.exists()
    assert stored_files() == []
    assert errors() == []


def test_deleting_while_a_fetch_waits_for_another_to_render(uploaded, monkeypatch, errors):
    client, image = uploaded("Premium")
    url = image["thumbnails"][0]["url"]
    gate = Gate()
    spy(monkeypatch, processing, "render_thumbnails", after=gate.pass_through)

    with ThreadPoolExecutor(2) as pool:
        maker = in_thread(pool, fetch, url)
        gate.wait_entered()
        waiter = in_thread(pool, fetch, url)
        deleted = client.delete(f"/api/user/images/{image['id']}/")
        gate.open()
        results = [maker.result(WAIT).status_code, waiter.result(WAIT).status_code]

    assert deleted.status_code == 204
    assert results == [404, 404]
    assert stored_files() == []
    assert errors() == []


def test_deleting_while_a_worker_makes_the_thumbnails(client_for, upload, monkeypatch, errors):
    client = client_for("Basic")
    image = upload(client).json()
    # The tier gains a height: the worker has a thumbnail to make.
    Tier.objects.filter(name="Basic").update(thumbnail_heights=[200, 400])
    gate = Gate()
    spy(monkeypatch, processing, "render_thumbnails", after=gate.pass_through)

    with ThreadPoolExecutor(1) as pool:
        working = in_thread(pool, tasks.generate_thumbnails_task, image["id"])
        gate.wait_entered()
        deleted = client.delete(f"/api/user/images/{image['id']}/")
        gate.open()
        outcome = working.result(WAIT)  # the task ends quietly: no exception

    assert deleted.status_code == 204
    assert outcome is None
    assert stored_files() == []
    assert errors() == []


def test_a_worker_storing_while_the_delete_holds_the_image(client_for, upload, monkeypatch, errors):
    """The delete has locked the image row and is deleting: the worker's INSERT waits
    for it (PostgreSQL: the foreign key check on the locked row; SQLite: the one writer),
    then fails on the deleted image. The delete never sees a foreign-key error."""
    client = client_for("Basic")
    image = upload(client).json()
    Tier.objects.filter(name="Basic").update(thumbnail_heights=[200, 400])
    gate = Gate()
    spy(monkeypatch, Image, "delete", before=gate.pass_through)

    with ThreadPoolExecutor(2) as pool:
        deleting = in_thread(pool, client.delete, f"/api/user/images/{image['id']}/")
        gate.wait_entered()  # the image row is locked, its rows not yet deleted
        working = in_thread(pool, tasks.generate_thumbnails_task, image["id"])
        with pytest.raises(TimeoutError):
            working.result(timeout=1.5)  # rendered, and now waiting to store
        gate.open()
        deleted, outcome = deleting.result(WAIT), working.result(WAIT)

    assert deleted.status_code == 204
    assert outcome is None
    assert not Image.objects.exists() and not Thumbnail.objects.exists()
    assert stored_files() == []
    assert errors() == []


def test_deleting_while_a_thumbnail_row_is_being_inserted(uploaded, monkeypatch, errors):
    """The insert is made but not committed when the delete comes.

    PostgreSQL lets the delete through (the foreign key is checked when the insert
    commits, and then fails: the fetch is a 404). SQLite has one writer at a time: the
    delete waits for the insert to commit, then deletes that thumbnail with the rest
    (the fetch, finished before, may have been served).
    """
    client, image = uploaded("Premium")
    gate = Gate()
    spy(monkeypatch, Thumbnail.objects, "bulk_create", after=gate.pass_through)

    with ThreadPoolExecutor(2) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"])
        gate.wait_entered()  # inside the INSERT's transaction
        deleting = in_thread(pool, client.delete, f"/api/user/images/{image['id']}/")
        with contextlib.suppress(TimeoutError):  # PostgreSQL: done; SQLite: waits for it
            deleting.result(timeout=1)
        gate.open()
        fetched, deleted = fetching.result(WAIT), deleting.result(WAIT)

    assert deleted.status_code == 204
    if connection.vendor == "postgresql":
        assert fetched.status_code == 404
    else:
        assert fetched.status_code in (200, 404)
    assert not Thumbnail.objects.exists()
    assert stored_files() == []
    assert errors() == []


def test_deleting_after_a_fetch_found_the_file_but_before_it_is_sent(uploaded, monkeypatch, errors):
    client, image = uploaded("Premium")
    gate = Gate()
    spy(monkeypatch, grants, "resolve", after=gate.pass_through)

    with ThreadPoolExecutor(1) as pool:
        fetching = in_thread(pool, fetch, image["thumbnails"][0]["url"], "image/jpeg")
        gate.wait_entered()  # the row was read; the file not yet opened
        deleted = client.delete(f"/api/user/images/{image['id']}/")
        gate.open()
        fetched = fetching.result(WAIT)

    assert deleted.status_code == 204
    assert fetched.status_code == 404
    assert stored_files() == []
    assert errors() == []


def test_a_deleted_image_leaves_no_file_and_no_empty_folder(uploaded):
    client, image = uploaded("Premium")
    key = Image.objects.get().key
    assert f"thumbnails/{key}" in stored_files() or storage.is_s3()

    assert client.delete(f"/api/user/images/{image['id']}/").status_code == 204

    assert stored_files() == []


def test_a_folder_stays_while_it_still_holds_files(uploaded):
    if storage.is_s3():
        pytest.skip("S3 has no folders")
    client, _ = uploaded("Premium")
    thumb = Thumbnail.objects.get(height=400)
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200])  # 400 may go now

    assert client.delete(f"/api/user/thumbnails/{thumb.pk}/").status_code == 204

    left = stored_files()
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
