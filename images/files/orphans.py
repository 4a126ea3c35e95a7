"""Files in storage that no row names, and empty folders: found, listed, removed.

A file can outlive its row when a process dies between storing it and recording it
(``kill -9``, a lost machine), or when a delete could not reach the storage. Only the
product's own prefixes are searched, through Django's storage API, so local disk and S3
are one code path; S3 has no real folders, so only local disk ever has empty ones.
Files younger than the grace period are left alone: they may belong to an upload or a
thumbnail whose row is about to be written.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from images.files import storage
from images.models import Image, Thumbnail

logger = logging.getLogger(__name__)

PREFIXES = ("originals", "thumbnails")
BATCH = 500

# Other apps' prefixes: prefix -> which of a list of names their rows still claim.
# (The uploads app registers "staging", so this module needs no import of it.)
Recorder = Callable[[list[str]], set[str]]
_other_prefixes: dict[str, Recorder] = {}


def register_prefix(prefix: str, recorded: Recorder) -> None:
    """Let ``cleanup_storage`` search ``prefix`` too; ``recorded(names)`` keeps the claimed."""
    _other_prefixes[prefix] = recorded


def prefixes() -> tuple[str, ...]:
    return (*PREFIXES, *_other_prefixes)


@dataclass(frozen=True)
class Orphan:
    name: str  # storage name; a folder's ends with "/"
    size: int  # bytes; 0 for a folder
    modified: datetime

    @property
    def is_folder(self) -> bool:
        return self.name.endswith("/")


def find(
    grace: timedelta,
    on_file: Callable[[], None] = lambda: None,
    on_young: Callable[[str], None] = lambda name: None,
) -> Iterator[Orphan]:
    """Files without a row and empty folders, all older than ``grace``.

    ``on_file`` is called once per file looked at (for a progress bar); ``on_young`` with
    each file without a row that the grace period spares (so "nothing found" is not
    mistaken for "nothing there").
    """
    cutoff = timezone.now() - grace
    for prefix in prefixes():
        batch: list[str] = []
        for name in walk(prefix):
            on_file()
            batch.append(name)
            if len(batch) >= BATCH:
                yield from _unrecorded(batch, cutoff, on_young)
                batch = []
        yield from _unrecorded(batch, cutoff, on_young)
    yield from _empty_folders(cutoff)


def remove(orphan: Orphan) -> None:
    """Remove an orphan; a folder only while it is still empty."""
    if orphan.is_folder:
        path = storage.local_path(orphan.name)
        if path is not None:
            try:
                path.rmdir()
            except OSError:
                logger.info("%s is no longer empty; kept", orphan.name)
        return
    # Checked again: a row may have been written since the listing.
    if not _recorded([orphan.name]):
        storage.delete_quietly(orphan.name)


def walk(folder: str) -> Iterator[str]:
    """Every file name under ``folder`` ("" for all), depth first, one folder at a time."""
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            folders, files = default_storage.listdir(current)
        except FileNotFoundError:  # no such folder (yet), or removed meanwhile
            continue
        inside = f"{current}/" if current else ""
        for name in sorted(files):
            yield inside + name
        pending.extend(inside + sub for sub in sorted(folders, reverse=True))


def _recorded(names: list[str]) -> set[str]:
    found = set(Image.objects.filter(file__in=names).values_list("file", flat=True))
    found.update(Thumbnail.objects.filter(file__in=names).values_list("file", flat=True))
    for prefix, recorded in _other_prefixes.items():
        found.update(recorded([name for name in names if name.startswith(f"{prefix}/")]))
    return found


def _unrecorded(
    names: list[str], cutoff: datetime, on_young: Callable[[str], None]
) -> Iterator[Orphan]:
    if not names:
        return
    recorded = _recorded(names)
    for name in names:
        if name in recorded:
            continue
        try:
            modified = default_storage.get_modified_time(name)
            size = default_storage.size(name)
        except FileNotFoundError:  # removed since the listing
            continue
        if modified < cutoff:
            yield Orphan(name, size, modified)
        else:
            on_young(name)


def _empty_folders(cutoff: datetime) -> Iterator[Orphan]:
    """Empty folders under the prefixes on local disk (none on S3), deepest first."""
    for prefix in prefixes():
        root = storage.local_path(prefix)
        if root is None or not root.is_dir():
            continue
        for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if not path.is_dir() or any(path.iterdir()):
                continue
            modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            if modified < cutoff:
                name = path.relative_to(root.parent).as_posix() + "/"
                yield Orphan(name, 0, modified)
