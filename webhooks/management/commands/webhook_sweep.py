from django.core.management.base import BaseCommand

from webhooks import services, tasks


class Command(BaseCommand):
    help = (
        "Send the webhook deliveries that are due (retries, and those a lost worker held). "
        "Cron this every minute when there is no Celery beat."
    )

    def handle(self, *args, **options) -> None:
        sent = services.sweep()
        if not tasks.in_background():
            tasks.drain()
        self.stdout.write(f"Sent {sent} due webhook deliveries.")
