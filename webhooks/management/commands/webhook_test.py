from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from imageapi.renderers import ORJSONRenderer
from webhooks import client, signing
from webhooks.models import TEST_EVENT


class Command(BaseCommand):
    help = (
        "POST a signed webhook.test event to URL, through the same checks as real deliveries, "
        "and print how the receiver answered."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("url")
        parser.add_argument("--secret", help="whsec_... to sign with (default: a new one, printed)")

    def handle(self, *args, url: str, secret: str | None, **options) -> None:
        secret = secret or signing.new_secret()
        now = timezone.now()
        msg_id = f"msg_test_{int(now.timestamp())}"
        event = {"id": msg_id, "type": TEST_EVENT, "timestamp": now, "data": {}}
        body = ORJSONRenderer().render(event)
        outcome = client.post(
            url, body, signing.headers([secret], msg_id, int(now.timestamp()), body)
        )
        self.stdout.write(f"Signed with {secret}")
        if not outcome.ok:
            raise CommandError(f"The delivery failed: {outcome.error}")
        self.stdout.write(f"Delivered: the receiver answered {outcome.status}.")
