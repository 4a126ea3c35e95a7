"""What ``GET /api/user/me/`` shows: the tier, what it includes, its limits and the usage."""

from accounts.models import User
from accounts.tiers.policy import entitlements
from accounts.tiers.quotas import WINDOW, usage


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
    }
