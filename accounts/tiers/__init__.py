"""The built-in tiers and the rules every tier's thumbnail heights obey."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError

from imageapi.errors import NotAllowed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from accounts.models import Tier

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
    """What a user's tier gives them right now: every "may this user...?" is answered here.

    Views, serializers, services and media delivery ask it; none repeats a tier rule.
    """

    tier_id: int
    heights: tuple[int, ...]
    original_link: bool
    expiring_links: bool

    def allows_height(self, height: int) -> bool:
        return height in self.heights

    def may_serve(self, *, height: int | None = None, expiring: bool = False) -> bool:
        """Whether a link granting this (a thumbnail height, or the original) works now."""
        if height is not None:
            return self.allows_height(height)
        return self.expiring_links if expiring else self.original_link

    def check_expiring_link(self) -> None:
        if not self.expiring_links:
            raise NotAllowed("Your tier does not include expiring links.", code="no_expiring_links")

    @property
    def expiring_link_seconds(self) -> tuple[int, int] | None:
        """The shortest and longest lifetime of an expiring link, when the tier has them."""
        if not self.expiring_links:
            return None
        return settings.EXPIRING_LINK_MIN_SECONDS, settings.EXPIRING_LINK_MAX_SECONDS

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the user may see changes (used in cache keys)."""
        heights = ",".join(map(str, self.heights))
        return f"{self.tier_id}:{heights}:{int(self.original_link)}:{int(self.expiring_links)}"

    @classmethod
    def of_tier(cls, tier: "Tier") -> "Entitlements":
        return cls(
            tier_id=tier.pk,
            heights=tuple(sorted(tier.thumbnail_heights)),
            original_link=tier.original_link,
            expiring_links=tier.expiring_links,
        )


def entitlements(user: "AbstractBaseUser") -> Entitlements:
    """The user's entitlements, worked out once per user object (one check per request)."""
    cached = user.__dict__.get("_entitlements")
    if cached is None or cached.tier_id != user.tier_id:
        cached = Entitlements.of_tier(user.tier)
        user.__dict__["_entitlements"] = cached
    return cached
