"""What ``GET /api/user/me/`` shows: the tier, what it includes, its limits and the usage."""

from collections.abc import Callable

from accounts.models import User
from accounts.tiers.policy import entitlements
from accounts.tiers.quotas import WINDOW, usage
from imageapi import limits

# The MIME types an upload may have. The images app knows them (its format table) and
# tells this module when it is ready; accounts never imports images.
_accepted_upload_types: Callable[[], list[str]] = list


def accept_uploads_of(provider: Callable[[], list[str]]) -> None:
    """Set what ``/me`` names as the accepted upload types (called by the images app)."""
    global _accepted_upload_types
    _accepted_upload_types = provider


def account_summary(user: User) -> dict:
    allowed = entitlements(user)
    used = usage(user)
    lifetimes = allowed.expiring_link_seconds
    expiring = (
        None if lifetimes is None else {"min_seconds": lifetimes[0], "max_seconds": lifetimes[1]}
    )
    return {
        "username": user.get_username(),
        "tier": allowed.tier_name,
        "includes": {
            "thumbnail_heights": list(allowed.heights),
            "original_link": allowed.original_link,
            "expiring_links": expiring,
        },
        "limits": {
            "images": {"limit": allowed.max_images, "used": used.images},
            "bytes": {"limit": allowed.max_bytes, "used": used.bytes},
            "uploads_per_hour": {
                "limit": allowed.uploads_per_hour,
                "used": used.uploads_in_window,
                "window_seconds": int(WINDOW.total_seconds()),
                "frees_in": used.window_frees_in,
            },
            "max_megapixels": allowed.max_pixels / 1_000_000,
        },
        "uploads": {
            "max_bytes": limits.max_upload_bytes(),
            "accepted_types": _accepted_upload_types(),
            "field": "image",
        },
    }
