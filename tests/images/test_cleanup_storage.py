"""`manage.py cleanup_storage` finds files no row names and empty folders, on local disk.

(The same command on S3 is tested in tests/scaleout/test_cleanup_s3.py.)
"""

import io
import os
import time
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from images.models import Image, Thumbnail

HOURS_AGO = 2


@pytest.fixture(autouse=True)
def _local_storage(settings):
    if not settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        pytest.skip("local disk only; S3 in tests/scaleout")


def orphan(name: str, *, hours_old: float = HOURS_AGO, content: bytes = b"left behind") -> str:
    """A file stored with no row, as a process killed between the two leaves it."""
    stored = default_storage.save(name, ContentFile(content))
    then = time.time() - hours_old * 3600
    os.utime(default_storage.path(stored), (then, then))
    return stored


def empty_folder(name: str, *, hours_old: float = HOURS_AGO) -> Path:
    path = Path(default_storage.path(name))
    path.mkdir(parents=True)
    then = time.time() - hours_old * 3600
    os.utime(path, (then, then))
    return path


def cleanup(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("cleanup_storage", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def kept(uploaded) -> list[str]:
    """An uploaded image with its thumbnails: files that have rows."""
    uploaded("Premium")
    names = [i.file.name for i in Image.objects.all()] + [
        t.file.name for t in Thumbnail.objects.all()
    ]
    for name in names:  # as old as the orphans: only the missing row tells them apart
        then = time.time() - HOURS_AGO * 3600
        os.utime(default_storage.path(name), (then, then))
    return names


def test_a_dry_run_lists_orphans_and_empty_folders_and_removes_nothing(kept):
    original = orphan("originals/ab/ab" + "0" * 30 + ".jpg")
    thumb = orphan("thumbnails/" + "c" * 32 + "/200-deadbeef.jpg")
    folder = empty_folder("thumbnails/" + "d" * 32)

    out, err = cleanup()

    assert original in out and thumb in out
    assert "thumbnails/" + "d" * 32 + "/" in out
    assert "2 files without a row (22 bytes), 1 empty folder." in out
    assert "--delete" in out
    assert not any(name in out for name in kept)
    assert default_storage.exists(original) and default_storage.exists(thumb)
    assert folder.is_dir()
    assert "Checking stored files" in err  # the progress bar, labelled


def test_delete_removes_orphans_and_their_folders_and_keeps_recorded_files(kept):
    original = orphan("originals/ab/ab" + "0" * 30 + ".jpg")
    thumb = orphan("thumbnails/" + "c" * 32 + "/200-deadbeef.jpg")
    folder = empty_folder("thumbnails/" + "d" * 32)

    out, _ = cleanup("--delete")

    assert "Removed 2 files without a row" in out
    assert not default_storage.exists(original) and not default_storage.exists(thumb)
    assert not Path(default_storage.path("thumbnails/" + "c" * 32)).exists()
    assert not folder.exists()
    assert all(default_storage.exists(name) for name in kept)
    assert cleanup()[0].strip() == "Nothing to clean up."


def test_files_younger_than_the_grace_period_are_left_alone(kept):
    in_flight = orphan("originals/ef/ef" + "0" * 30 + ".png", hours_old=0)
    older = orphan("originals/ef/ef" + "1" * 30 + ".png", hours_old=0.5)

    out, _ = cleanup("--delete")
    assert out.startswith("Removed 0 files")
    assert (
        "2 files without a row are younger than the grace period (3600s) and were left alone" in out
    )
    assert default_storage.exists(in_flight) and default_storage.exists(older)

    out, _ = cleanup("--delete", "--grace", "10m")
    assert older in out and in_flight not in out
    assert not default_storage.exists(older) and default_storage.exists(in_flight)


def test_only_the_products_own_folders_are_searched(kept):
    foreign = orphan("backups/db.sql")

    out, _ = cleanup("--delete", "--grace", "0")

    assert foreign not in out
    assert default_storage.exists(foreign)


def test_a_file_recorded_after_the_listing_is_kept(kept, monkeypatch):
    from images.files import orphans

    name = orphan("originals/aa/aa" + "2" * 30 + ".jpg")
    found = list(orphans.find(orphans.timedelta(hours=1)))
    assert [o.name for o in found] == [name]
    image = Image.objects.get()
    Image.objects.filter(pk=image.pk).update(file=name)  # now a row names it

    orphans.remove(found[0])

    assert default_storage.exists(name)


@pytest.mark.parametrize("grace", ["soon", "-5", "1w", ""])
def test_a_bad_grace_period_is_refused(grace, db):
    with pytest.raises(CommandError, match="not a duration"):
        cleanup("--grace", grace)


def test_an_empty_storage_has_nothing_to_clean(db):
    assert cleanup()[0].strip() == "Nothing to clean up."


def test_nothing_found_because_of_the_grace_period_is_not_called_nothing_to_clean(db):
    orphan("originals/ab/ab" + "3" * 30 + ".jpg", hours_old=0)

    out, _ = cleanup("--grace", "1h")

    assert "Nothing to clean up" not in out
    assert out.strip() == (
        "1 file without a row is younger than the grace period (1h) and was left alone: "
        "it may belong to an upload in flight."
    )
