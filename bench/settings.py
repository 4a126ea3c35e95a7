"""The product's settings with the bench's URL configuration (the product stays untouched)."""

from imageapi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
