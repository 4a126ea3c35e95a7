"""Per-user cache of API read responses.

Entries are keyed by the user, a per-user version that every write of theirs bumps, and
their tier's current entitlements, so a response is never served to anyone else, a new
upload or deletion shows on the very next request, and tier changes take effect at once.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tiers import entitlements
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)


def _version_key(user_id: int) -> str:
    return f"api:ver:{user_id}"


def _user_version(user_id: int) -> str:
    key = _version_key(user_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, secrets.token_hex(4), timeout=None)
        version = cache.get(key)
    return version


def invalidate_user(user_id: int) -> None:
    """Forget every cached response of this user.

    If the cache is unreachable there is nothing to forget for now, and whatever it
    still holds when it returns expires within API_CACHE_SECONDS.
    """
    try:
        cache.set(_version_key(user_id), secrets.token_hex(4), timeout=None)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; user %s not invalidated", user_id, exc_info=True)


def cached_read(request: Request, build: Callable[[], Response]) -> Response:
    """Serve ``build()``'s data from the user's cache, filling it on a miss."""
    seconds = settings.API_CACHE_SECONDS
    user = request.user
    if seconds <= 0 or request.method != "GET" or not user.is_authenticated:
        return build()
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    try:
        key = f"api:resp:{user.pk}:{_user_version(user.pk)}:{entitlements(user).fingerprint}:{url}"
        data = cache.get(key)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; answering uncached", exc_info=True)
        return build()
    if data is not None:
        return Response(data, headers={"X-Cache": "hit"})
    response = build()
    if response.status_code == 200:
        try:
            cache.set(key, response.data, timeout=seconds)
        except CACHE_ERRORS:
            logger.warning("API cache unavailable; response not stored", exc_info=True)
    return response
