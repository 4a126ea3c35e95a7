from django.core.management.base import BaseCommand

from accounts.services import flush_expired_logins


class Command(BaseCommand):
    help = "Delete expired sign-ins and refresh-token rows (cron this without a Celery beat)."

    def handle(self, *args, **options) -> None:
        deleted = flush_expired_logins()
        self.stdout.write(f"Deleted {deleted} expired sign-ins and refresh tokens.")
