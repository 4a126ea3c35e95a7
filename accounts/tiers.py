"""The built-in tiers and the rules every tier's thumbnail heights obey."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

DEFAULT_TIER = "Basic"

GIB = 1024**3

# Limits: None is unlimited. Basic is bounded enough that one free account cannot fill
# the disk or keep the decoders busy; Enterprise is bounded only in rate.
BUILTIN_TIERS = (
    {
        "name": "Basic",
        "thumbnail_heights": [200],
        "original_link": False,
        "expiring_links": False,
        "max_images": 1000,
        "max_bytes": 2 * GIB,
        "uploads_per_hour": 100,
        "max_megapixels": 25,
    },
    {
        "name": "Premium",
        "thumbnail_heights": [200, 400],
        "original_link": True,
        "expiring_links": False,
        "max_images": 10_000,
        "max_bytes": 20 * GIB,
        "uploads_per_hour": 500,
        "max_megapixels": None,
    },
    {
        "name": "Enterprise",
        "thumbnail_heights": [200, 400],
        "original_link": True,
        "expiring_links": True,
        "max_images": None,
        "max_bytes": None,
        "uploads_per_hour": 2000,
        "max_megapixels": None,
    },
)


def normalize_heights(value: Iterable[object]) -> list[int]:
    """Return the heights sorted, or raise ValidationError naming what is wrong."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("Thumbnail heights must be a list of whole numbers.")
    limit = settings.MAX_THUMBNAIL_HEIGHT
    heights: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValidationError(f"Thumbnail height {item!r} is not a whole number.")
        if item < 1:
            raise ValidationError(f"Thumbnail height {item} must be a positive number of pixels.")
        if item > limit:
            raise ValidationError(
                f"Thumbnail height {item} is over the limit of {limit} pixels "
                "(MAX_THUMBNAIL_HEIGHT)."
            )
        if item in heights:
            raise ValidationError(f"Thumbnail height {item} is listed twice.")
        heights.append(item)
    return sorted(heights)


def validate_heights(value: Iterable[object]) -> None:
    normalize_heights(value)


@dataclass(frozen=True)
class Entitlements:
    """What a user's tier gives them right now; every check in the product asks this."""

    tier_id: int
    heights: tuple[int, ...]
    original_link: bool
    expiring_links: bool

    def allows_height(self, height: int) -> bool:
        return height in self.heights

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the user may see changes (used in cache keys)."""
        heights = ",".join(map(str, self.heights))
        return f"{self.tier_id}:{heights}:{int(self.original_link)}:{int(self.expiring_links)}"


def entitlements(user: "AbstractBaseUser") -> Entitlements:
    tier = user.tier
    return Entitlements(
        tier_id=tier.pk,
        heights=tuple(sorted(tier.thumbnail_heights)),
        original_link=tier.original_link,
        expiring_links=tier.expiring_links,
    )
