import argparse
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from accounts.models import Tier
from accounts.tiers.services import TierChange, create_or_update_tier
from imageapi.database_state import ensure_migrated

UNLIMITED = {"none", "unlimited"}


def _limit(parse):
    """An argparse type: a positive number, or ``none``/``unlimited`` for no limit."""

    def convert(text: str):
        if text.strip().lower() in UNLIMITED:
            return None
        try:
            value = parse(text)
            if isinstance(value, Decimal) and not value.is_finite():
                raise ValueError(text)
        except (ValueError, InvalidOperation):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number or 'none'") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be positive ('none': unlimited)")
        return value

    return convert


def _heights(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of whole numbers, e.g. 200,400"
        ) from None


class Command(BaseCommand):
    help = (
        "Create a tier, or change an existing one: only the options given change. Limits "
        "take a positive number or 'none' (unlimited). Users of a tier that gains heights "
        "get the new thumbnails in the background."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "name",
            help="The tier's exact name (a tier whose name differs only in case is refused).",
        )
        parser.add_argument("--heights", type=_heights, help="Thumbnail heights, e.g. 200,400.")
        parser.add_argument(
            "--original",
            action=argparse.BooleanOptionalAction,
            help="Whether users get a link to the original.",
        )
        parser.add_argument(
            "--expiring",
            action=argparse.BooleanOptionalAction,
            help="Whether users can create expiring links.",
        )
        parser.add_argument("--max-images", type=_limit(int), default=argparse.SUPPRESS)
        parser.add_argument("--max-bytes", type=_limit(int), default=argparse.SUPPRESS)
        parser.add_argument("--uploads-per-hour", type=_limit(int), default=argparse.SUPPRESS)
        parser.add_argument("--max-megapixels", type=_limit(Decimal), default=argparse.SUPPRESS)

    def handle(self, *args, name: str, heights, original, expiring, **options) -> None:
        ensure_migrated()
        given = {
            "thumbnail_heights": heights,
            "original_link": original,
            "expiring_links": expiring,
        }
        fields = {field: value for field, value in given.items() if value is not None}
        fields.update({limit: options[limit] for limit in Tier.LIMIT_FIELDS if limit in options})
        try:
            change = create_or_update_tier(name, **fields)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.report(change)

    def report(self, change: TierChange) -> None:
        """Say what happened: created, which fields changed (before -> after), or nothing."""
        if change.created:
            self.stdout.write(self.style.SUCCESS(f"Created {describe(change.tier)}"))
        elif change.changed:
            what = "; ".join(
                f"{field.replace('_', ' ')} {show(old)} -> {show(new)}"
                for field, (old, new) in change.changed.items()
            )
            self.stdout.write(self.style.SUCCESS(f"Updated tier {change.tier.name!r}: {what}."))
            self.stdout.write(f"Now {describe(change.tier)}")
        else:
            self.stdout.write(f"Nothing changed: {describe(change.tier)}")
        if change.gained:
            users = change.tier.users.count()
            self.stdout.write(
                f"Its {users:,} {ngettext('user', 'users', users)} get the new "
                f"{show(sorted(change.gained))} px thumbnails in the background."
            )


def show(value: object) -> str:
    """A field's value as an operator reads it."""
    if value is None:
        return "unlimited"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return f"{value:,}" if isinstance(value, int | Decimal) else str(value)


def describe(tier) -> str:
    limit = show

    heights = ", ".join(map(str, tier.thumbnail_heights)) or "none"
    return (
        f"tier {tier.name!r}: heights {heights}; original link "
        f"{'yes' if tier.original_link else 'no'}; expiring links "
        f"{'yes' if tier.expiring_links else 'no'}; max images {limit(tier.max_images)}; "
        f"max bytes {limit(tier.max_bytes)}; uploads per hour {limit(tier.uploads_per_hour)}; "
        f"max megapixels {limit(tier.max_megapixels)}."
    )
