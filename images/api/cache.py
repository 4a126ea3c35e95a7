"""Per-user cache of rendered API answers.

An entry is the rendered bytes, keyed by the user, their tier's entitlements, the
renderer and the URL, and stamped with the user's version, which every write of theirs
changes (:mod:`images.signals`). A read fetches the entry and the current version in one
round trip and serves the bytes only when the stamps match: a response is never served
to anyone else, a write shows on the very next request, tier changes take effect at once,
and an answer built while a write committed is never served after it.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tiers import entitlements
from imageapi.compression import accepts_gzip, gzip_bytes
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)


def _version_key(user_id: int) -> str:
    return f"api:ver:{user_id}"


def invalidate_user(user_id: int) -> None:
    """Forget every cached answer of this user.

    If the cache is unreachable there is nothing to forget for now, and whatever it
    still holds when it returns expires within API_CACHE_SECONDS.
    """
    try:
        cache.set(_version_key(user_id), secrets.token_hex(4), timeout=None)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; user %s not invalidated", user_id, exc_info=True)


def cached_answer(request: Request, build: Callable[[], Response]) -> HttpResponse:
    """Serve ``build()``'s answer from the user's cache, filling it on a miss.

    Only JSON answers are kept: the browsable API's pages carry forms and CSRF tokens.
    """
    seconds = settings.API_CACHE_SECONDS
    user = request.user
    renderer = getattr(request, "accepted_renderer", None)
    if seconds <= 0 or not user.is_authenticated or renderer is None or renderer.format != "json":
        return build()
    url = hashlib.blake2b(request.build_absolute_uri().encode(), digest_size=16).hexdigest()
    key = f"api:resp:{user.pk}:{entitlements(user).fingerprint}:{renderer.format}:{url}"
    version_key = _version_key(user.pk)
    try:
        found = cache.get_many([key, version_key])
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; answering uncached", exc_info=True)
        return build()
    version, entry = found.get(version_key), found.get(key)
    if entry is not None and version is not None and entry[0] == version:
        return _bytes_response(request, entry[1:], renderer.media_type, hit=True)

    response = build()
    if response.status_code != 200:
        return response
    body = renderer.render(response.data, renderer.media_type, {"request": request})
    bodies = (body, gzip_bytes(body))  # compressed once, served to every hit
    try:
        if version is None:
            cache.add(version_key, secrets.token_hex(4), timeout=None)
            version = cache.get(version_key)
        cache.set(key, (version, *bodies), timeout=seconds)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; answer not stored", exc_info=True)
    return _bytes_response(request, bodies, renderer.media_type, hit=False)


def _bytes_response(
    request: Request, bodies: tuple[bytes, bytes], content_type: str, *, hit: bool
) -> HttpResponse:
    plain, compressed = bodies
    gzipped = accepts_gzip(request) and len(compressed) < len(plain)
    response = HttpResponse(compressed if gzipped else plain, content_type=content_type)
    patch_vary_headers(response, ["Accept-Encoding"])
    if gzipped:
        response["Content-Encoding"] = "gzip"
    if hit:
        response["X-Cache"] = "hit"
    return response
