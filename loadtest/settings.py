"""The product's settings with expiring links as short as 10 s (the product's minimum is 300),
so the soak can use a link right as it expires within a 3-minute run. Nothing else differs."""

from imageapi.settings import *  # noqa: F403

EXPIRING_LINK_MIN_SECONDS = 10
