import re
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils.translation import ngettext
from tqdm import tqdm

from imageapi.database_state import ensure_migrated
from images.files import orphans

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> timedelta:
    """``90``, ``90s``, ``30m``, ``1h`` or ``2d``."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match:
        raise ValueError(f"not a duration: {text!r} (e.g. 3600, 30m, 1h, 2d)")
    return timedelta(seconds=int(match[1]) * UNITS[match[2] or "s"])


class RawStream:
    """A command's output stream as a plain file: written as given (no line ending added)."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = (
        "List files in storage that no image or thumbnail row names, and empty folders "
        "(local disk). Nothing is removed unless --delete is given. Files younger than the "
        "grace period are never touched: they may belong to an upload still in flight."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--delete", action="store_true", help="Remove what is found (default: only list)."
        )
        parser.add_argument(
            "--grace",
            default=f"{settings.CLEANUP_GRACE_SECONDS}s",
            help="Only consider files older than this, e.g. 3600, 30m, 1h, 2d "
            "(default: CLEANUP_GRACE_SECONDS, %(default)s).",
        )

    def handle(self, *args, delete=False, grace="", verbosity=1, **options) -> None:
        try:
            grace_period = duration(grace)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        # Without the database every file would look like an orphan.
        ensure_migrated()
        files = folders = size = 0
        young: list[str] = []
        # The bar goes to the command's error stream (a terminal), never into the listing.
        bar = tqdm(
            desc="Checking stored files",
            unit=" files",
            disable=verbosity == 0,
            file=RawStream(self.stderr),
        )
        with bar as progress:
            for orphan in orphans.find(grace_period, progress.update, young.append):
                if orphan.is_folder:
                    folders += 1
                else:
                    files += 1
                    size += orphan.size
                if verbosity:
                    label = "empty folder" if orphan.is_folder else f"{orphan.size:,} bytes"
                    progress.write(f"{orphan.name}  ({label})", file=self.stdout, end="")
                if delete:
                    orphans.remove(orphan)
        if files or folders or delete or not young:
            self.report(files, folders, size, delete)
        if young:
            self.stdout.write(spared(len(young), grace.strip()))

    def report(self, files: int, folders: int, size: int, delete: bool) -> None:
        summary = (
            f"{count(files, 'file')} without a row ({size:,} bytes), "
            f"{count(folders, 'empty folder')}"
        )
        if delete:
            self.stdout.write(self.style.SUCCESS(f"Removed {summary}."))
        elif files or folders:
            self.stdout.write(self.style.WARNING(f"Found {summary}. Run with --delete to remove."))
        else:
            self.stdout.write("Nothing to clean up.")


def count(n: int, noun: str) -> str:
    """``1 file``, ``2 files``: a count with its noun in the right number."""
    return f"{n:,} {ngettext(noun, noun + 's', n)}"


def spared(n: int, grace: str) -> str:
    """Why files without a row were not listed: the grace period spares them."""
    if n == 1:
        return (
            f"1 file without a row is younger than the grace period ({grace}) and was left "
            "alone: it may belong to an upload in flight."
        )
    return (
        f"{n:,} files without a row are younger than the grace period ({grace}) and were "
        "left alone: they may belong to uploads in flight."
    )
