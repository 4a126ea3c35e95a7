"""Creating and changing tiers, and moving users between them: the one place that does.

Changes that widen what users see are announced (:mod:`accounts.tiers.signals`) once
they commit; the images app listens and makes the thumbnails they now include.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Tier
from accounts.tiers import signals
from accounts.tiers.builtin import BUILTIN_TIERS


class UnknownTier(ValueError):
    pass


def ensure_builtin_tiers() -> list[Tier]:
    """Create any missing built-in tier; tiers an admin edited are left as they are."""
    tiers = []
    for spec in BUILTIN_TIERS:
        tier, _ = Tier.objects.get_or_create(
            name=spec["name"], defaults={k: v for k, v in spec.items() if k != "name"}
        )
        tiers.append(tier)
    return tiers


def tier_named(name: str) -> Tier:
    try:
        return Tier.objects.get(name__iexact=name)
    except Tier.DoesNotExist:
        existing = ", ".join(Tier.objects.values_list("name", flat=True)) or "none"
        raise UnknownTier(f"There is no tier named {name!r}. Tiers: {existing}.") from None


@transaction.atomic
def save_tier(tier: Tier, *, heights_before: Iterable[int] = ()) -> set[int]:
    """Save a tier (new or changed); return, and announce, the heights it gained."""
    tier.save()
    gained = set(tier.thumbnail_heights) - set(heights_before)
    if gained:
        transaction.on_commit(
            lambda: signals.heights_gained.send(sender=Tier, tier=tier, heights=gained)
        )
    return gained


@dataclass(frozen=True)
class TierChange:
    """What :func:`create_or_update_tier` did: the tier, whether it is new, each field
    that changed (name: (before, after)) and the thumbnail heights it gained."""

    tier: Tier
    created: bool
    changed: dict[str, tuple[object, object]]
    gained: set[int]


@transaction.atomic
def create_or_update_tier(name: str, **fields: object) -> TierChange:
    """Create the tier, or change the given fields of the one with exactly this name.

    ``fields`` are Tier fields; a limit given as ``None`` becomes unlimited. A name that
    differs from an existing tier's only by case is refused (ValidationError naming it):
    ``basic`` neither silently rewrites the built-in Basic nor makes a look-alike.
    """
    tier = Tier.objects.select_for_update().filter(name=name).first()
    created = tier is None
    if created:
        look_alike = Tier.objects.filter(name__iexact=name).first()
        if look_alike is not None:
            raise ValidationError(
                f"There is already a tier named {look_alike.name!r}; to change it, give "
                "that exact name. Tier names must differ by more than letter case."
            )
        tier = Tier(name=name)
    before = {field: getattr(tier, field) for field in fields} if not created else {}
    heights_before = () if created else tuple(tier.thumbnail_heights)
    for field, value in fields.items():
        setattr(tier, field, value)
    tier.full_clean()
    gained = save_tier(tier, heights_before=heights_before)
    changed = {
        field: (old, getattr(tier, field))
        for field, old in before.items()
        if old != getattr(tier, field)
    }
    return TierChange(tier, created, changed, gained)


def announce_tier_assigned(user_ids: Iterable[int]) -> None:
    """Users now have another tier: announce it once the change commits."""
    ids = list(user_ids)
    if ids:
        transaction.on_commit(lambda: signals.tier_assigned.send(sender=Tier, user_ids=ids))
