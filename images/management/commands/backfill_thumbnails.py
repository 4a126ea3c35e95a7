import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext
from tqdm import tqdm

from imageapi.database_state import ensure_migrated
from images import selectors, services
from images.thumbnails import tasks


class Command(BaseCommand):
    help = (
        "Generate every thumbnail that users' tiers include but that does not exist yet. "
        "Safe to interrupt and run again: finished work is kept and skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--user",
            action="append",
            dest="users",
            metavar="USER",
            help="Only this user's images: a username or a numeric id (repeatable).",
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the work for Celery workers instead of doing it here.",
        )

    def handle(self, *args, users=None, queue=False, verbosity=1, **options) -> None:
        ensure_migrated()
        user_ids = [user_id(given) for given in users] if users else None
        pending = list(selectors.images_missing_thumbnails(user_ids=user_ids))
        if not pending:
            self.stdout.write("Every image has all its thumbnails.")
            return
        if queue:
            for image_id in pending:
                tasks.generate_thumbnails_task.delay(image_id)
            self.stdout.write(f"Queued {images(len(pending))}.")
            return
        failures = 0
        progress = tqdm(
            pending,
            desc="Making thumbnails",
            unit=" images",
            disable=verbosity == 0,
            file=sys.stderr,
        )
        for image_id in progress:
            try:
                services.generate_missing_thumbnails(image_id)
            except Exception as exc:
                failures += 1
                self.stderr.write(f"image {image_id}: {exc}")
        done = len(pending) - failures
        self.stdout.write(self.style.SUCCESS(f"Generated thumbnails for {images(done)}."))
        if failures:
            self.stdout.write(self.style.WARNING(f"{images(failures)} failed; run again to retry."))


def images(n: int) -> str:
    return f"{n:,} {ngettext('image', 'images', n)}"


def user_id(given: str) -> int:
    """The id of the user a ``--user`` value names: a username first, else a numeric id."""
    users = get_user_model().objects
    found = users.filter(username=given).values_list("pk", flat=True).first()
    if found is None and given.isdigit():
        found = users.filter(pk=int(given)).values_list("pk", flat=True).first()
    if found is None:
        raise CommandError(f"There is no user {given!r} (give a username or a numeric id).")
    return found
