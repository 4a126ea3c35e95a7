"""Tiers: what an account gets and how much it may store and upload, decided here alone.

* :mod:`~accounts.tiers.builtin`: the built-in tiers and the default one.
* :mod:`~accounts.tiers.heights`: the rules every tier's thumbnail heights obey.
* :mod:`~accounts.tiers.policy`: :class:`Entitlements`, one user's whole policy now
  (features, heights, limits, the pixel cap, link lifetimes). Every "may this user...?"
  and every "how much may this user...?" is answered by it.
* :mod:`~accounts.tiers.quotas`: usage against the limits, enforced under a row lock.
* :mod:`~accounts.tiers.summary`: what ``GET /api/user/me/`` shows.
* :mod:`~accounts.tiers.services`: creating and changing tiers and users' tiers; it sends
  :mod:`~accounts.tiers.signals` so other apps (thumbnails) follow, without this package
  knowing them.

Only what models and migrations need at import time is re-exported here (the modules that
query the database import the models, which import this package).
"""

from accounts.tiers.builtin import BUILTIN_TIERS, DEFAULT_TIER
from accounts.tiers.heights import normalize_heights, validate_heights
from accounts.tiers.policy import Entitlements, entitlements

__all__ = [
    "BUILTIN_TIERS",
    "DEFAULT_TIER",
    "Entitlements",
    "entitlements",
    "normalize_heights",
    "validate_heights",
]
