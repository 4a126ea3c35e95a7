"""Per-user cache of API read responses.

Entries are keyed by the user, a per-user version that every write of theirs bumps, and
their tier's current entitlements, so a response is never served to anyone else, a new
upload or deletion shows on the very next request, and tier changes take effect at once.
"""

import hashlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tiers import entitlements


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
    """Forget every cached response of this user."""
    cache.set(_version_key(user_id), secrets.token_hex(4), timeout=None)


def cached_read(request: Request, build: Callable[[], Response]) -> Response:
    """Serve ``build()``'s data from the user's cache, filling it on a miss."""
    seconds = settings.API_CACHE_SECONDS
    user = request.user
    if seconds <= 0 or request.method != "GET" or not user.is_authenticated:
        return build()
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()[:32]
    key = f"api:resp:{user.pk}:{_user_version(user.pk)}:{entitlements(user).fingerprint}:{url}"
    data = cache.get(key)
    if data is not None:
        return Response(data, headers={"X-Cache": "hit"})
    response = build()
    if response.status_code == 200:
        cache.set(key, response.data, timeout=seconds)
    return response
