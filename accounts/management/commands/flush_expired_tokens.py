from django.core.management.base import BaseCommand

from accounts.services import flush_expired_logins
from accounts.tiers.quotas import forget_old_uploads


class Command(BaseCommand):
    help = (
        "Delete expired sign-ins and refresh-token rows, and upload records older than the "
        "hourly rate window (cron this without a Celery beat)."
    )

    def handle(self, *args, **options) -> None:
        deleted = flush_expired_logins()
        uploads = forget_old_uploads()
        self.stdout.write(
            f"Deleted {deleted} expired sign-ins and refresh tokens, "
            f"and {uploads} upload records past the rate window."
        )
