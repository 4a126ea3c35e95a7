"""The tiers every installation starts with; an admin may edit them afterwards."""

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
