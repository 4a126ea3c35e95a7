from django.core.management.base import BaseCommand

from uploads import services


class Command(BaseCommand):
    help = (
        "Expire pending uploads past their URL (their quota and staged files go), requeue "
        "uploads whose worker was lost, and forget idempotent answers older than a day. "
        "`celery beat` runs this every minute; without a broker, run it from cron."
    )

    def handle(self, *args, **options) -> None:
        swept = services.housekeeping()
        self.stdout.write(
            f"Expired {swept.expired} pending upload(s); requeued {swept.requeued} and "
            f"rejected {swept.rejected} lost one(s); forgot {swept.forgotten_keys} "
            "idempotency key(s)."
        )
