import sys

from django.core.management.base import BaseCommand
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
        parser.add_argument("--user", action="append", type=int, dest="user_ids", metavar="ID")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the work for Celery workers instead of doing it here.",
        )

    def handle(self, *args, user_ids=None, queue=False, verbosity=1, **options) -> None:
        ensure_migrated()
        pending = list(selectors.images_missing_thumbnails(user_ids=user_ids))
        if not pending:
            self.stdout.write("Every image has all its thumbnails.")
            return
        if queue:
            for image_id in pending:
                tasks.generate_thumbnails_task.delay(image_id)
            self.stdout.write(f"Queued {len(pending)} images.")
            return
        failures = 0
        for image_id in tqdm(pending, unit="image", disable=verbosity == 0, file=sys.stderr):
            try:
                services.generate_missing_thumbnails(image_id)
            except Exception as exc:
                failures += 1
                self.stderr.write(f"image {image_id}: {exc}")
        done = len(pending) - failures
        self.stdout.write(self.style.SUCCESS(f"Generated thumbnails for {done} images."))
        if failures:
            self.stdout.write(self.style.WARNING(f"{failures} images failed; run again to retry."))
