from django.core.management.base import BaseCommand

from accounts.services import flush_expired_logins
from accounts.tiers.quotas import counted, forget_old_uploads


class Command(BaseCommand):
    help = (
        "Delete expired sign-ins and refresh-token rows, and upload records older than the "
        "hourly rate window (cron this without a Celery beat)."
    )

    def handle(self, *args, **options) -> None:
        deleted = flush_expired_logins()
        uploads = forget_old_uploads()
        self.stdout.write(
            f"Deleted {counted(deleted, 'expired sign-in or refresh-token row')}, "
            f"and {counted(uploads, 'upload record')} past the rate window."
        )
