import os

from django.core.management.base import BaseCommand

from accounts.services import ensure_superuser
from accounts.tiers.services import ensure_builtin_tiers
from imageapi.database_state import ensure_migrated


class Command(BaseCommand):
    help = (
        "Make sure the built-in tiers and a superuser exist. Safe to run on every start. "
        "The superuser comes from DJANGO_SUPERUSER_USERNAME / _PASSWORD / _EMAIL, or is "
        "'admin' with a random password printed once."
    )

    def handle(self, *args, **options) -> None:
        ensure_migrated()
        tiers = ensure_builtin_tiers()
        self.stdout.write(f"Tiers ready: {', '.join(t.name for t in tiers)}.")
        result = ensure_superuser(
            os.environ.get("DJANGO_SUPERUSER_USERNAME"),
            os.environ.get("DJANGO_SUPERUSER_PASSWORD"),
            os.environ.get("DJANGO_SUPERUSER_EMAIL"),
        )
        if not result.created:
            self.stdout.write(f"Superuser {result.username!r} already exists.")
        elif result.generated_password:
            self.stdout.write(
                self.style.WARNING(
                    f"Created superuser {result.username!r} with password "
                    f"{result.generated_password!r}. It is shown only this once: "
                    "store it or change it in the admin."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Created superuser {result.username!r}."))
