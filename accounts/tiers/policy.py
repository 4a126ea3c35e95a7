"""One user's whole policy, worked out once per request from their tier.

Views, serializers, services, quotas and media delivery ask :class:`Entitlements`; none
reads a tier field or a tier-related setting itself.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from imageapi import limits
from imageapi.errors import NotAllowed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from accounts.models import Tier


def expiring_link_bounds() -> tuple[int, int]:
    """The shortest and longest lifetime (seconds) an expiring link may be given."""
    return settings.EXPIRING_LINK_MIN_SECONDS, settings.EXPIRING_LINK_MAX_SECONDS


@dataclass(frozen=True)
class Entitlements:
    """What a user's tier gives them right now, and how much of it they may use."""

    tier_id: int
    tier_name: str
    heights: tuple[int, ...]
    original_link: bool
    expiring_links: bool
    # Limits; None is unlimited.
    max_images: int | None
    max_bytes: int | None
    uploads_per_hour: int | None
    max_megapixels: Decimal | None  # the tier's own cap, as an admin wrote it
    # The largest upload in pixels: the tier's cap or the server's, whichever is lower.
    max_pixels: int

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
        return expiring_link_bounds() if self.expiring_links else None

    @property
    def caps_pixels(self) -> bool:
        """Whether the tier's own pixel cap is lower than the server's."""
        return self.max_pixels < limits.max_image_pixels()

    def pixels_refused(self, pixels: int) -> NotAllowed | None:
        """The refusal for an image of ``pixels`` over the tier's own cap, if it is."""
        if not self.caps_pixels or pixels <= self.max_pixels:
            return None
        assert self.max_megapixels is not None
        return NotAllowed(
            f"This image is {Decimal(pixels) / 1_000_000:.2f} megapixels; your tier "
            f"({self.tier_name}) allows uploads of at most {float(self.max_megapixels):g} "
            "megapixels.",
            code="megapixel_limit",
        )

    @property
    def fingerprint(self) -> str:
        """Changes whenever what the user may see changes (used in cache keys)."""
        heights = ",".join(map(str, self.heights))
        return f"{self.tier_id}:{heights}:{int(self.original_link)}:{int(self.expiring_links)}"

    @classmethod
    def of_tier(cls, tier: "Tier") -> "Entitlements":
        ceiling = limits.max_image_pixels()
        cap = tier.max_megapixels
        return cls(
            tier_id=tier.pk,
            tier_name=tier.name,
            heights=tuple(sorted(tier.thumbnail_heights)),
            original_link=tier.original_link,
            expiring_links=tier.expiring_links,
            max_images=tier.max_images,
            max_bytes=tier.max_bytes,
            uploads_per_hour=tier.uploads_per_hour,
            max_megapixels=cap,
            max_pixels=ceiling if cap is None else min(ceiling, int(cap * 1_000_000)),
        )


def entitlements(user: "AbstractBaseUser") -> Entitlements:
    """The user's entitlements, worked out once per user object (one check per request)."""
    cached = user.__dict__.get("_entitlements")
    if cached is None or cached.tier_id != user.tier_id:
        cached = Entitlements.of_tier(user.tier)
        user.__dict__["_entitlements"] = cached
    return cached
