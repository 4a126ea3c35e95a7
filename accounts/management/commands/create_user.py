from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_or_update_user
from accounts.tiers.services import UnknownTier
from imageapi.database_state import ensure_migrated


class Command(BaseCommand):
    help = "Create a user, or update an existing one's password, tier or email."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", help="Required when creating a user.")
        parser.add_argument("--tier", help="Tier name, e.g. Basic, Premium, Enterprise.")
        parser.add_argument("--email")

    def handle(self, *args, username: str, password, tier, email, **options) -> None:
        ensure_migrated()
        try:
            user, created = create_or_update_user(
                username, password=password, tier=tier, email=email
            )
        except UnknownTier as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} user {user.username!r} (tier {user.tier})."))
