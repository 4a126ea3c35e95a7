"""Rendered API answers, served again without SQL, authentication or a DRF view.

An entry is a rendered answer (its bytes and headers), kept twice, plain and gzipped, so
that a hit reads only the bytes it sends; it is keyed by a hash of the credential that
asked (a DRF token or the JWT access cookie) and of the request (URL with host and
scheme, ``Accept``). It is stamped with the user's id, the
user's version and the tiers' epoch at the time the answer was built.

:class:`AnswerCacheMiddleware` answers a hit before sessions, authentication and DRF run:
one cache round trip fetches the entry and the tiers' epoch, a second the user's current
version; the bytes are served only when both stamps still match. The stamps change on
every event that must end access or change an answer (:mod:`images.signals`): a write to
the user's images or thumbnails, a token deleted, a JWT sign-in ended, the user saved
(password, deactivation, tier) or deleted, any tier changed. So:

* an answer is only ever served for the credential that was authenticated when it was
  built, and never after that credential stops working;
* a write shows on the very next request, and an answer built while a write committed is
  never served after it (the version is read before the answer is built);
* a forged or random credential finds nothing and creates nothing: entries are written
  only after DRF authenticated the request;
* when the cache is unreachable every request is answered uncached.

On a miss, :func:`cached_answer` (in the view) records the stamps on a slot the
middleware put on the request, and the middleware stores the finished response.
"""

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import JWTCookieAuthentication, TokenAuthentication
from accounts.jwt_cookies import access_cookie
from imageapi.compression import accepts_gzip, gzip_bytes
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)

TIERS_KEY = "api:tiers"
# Headers of a stored answer that belong to one response only.
NOT_REPLAYED = {"set-cookie", "content-length", "content-encoding", "date", "x-cache"}


def _version_key(user_id: int) -> str:
    return f"api:ver:{user_id}"


def _answer_key(credential_hash: str, request: HttpRequest) -> str | None:
    """The entry's key; None when the request names a host Django refuses."""
    try:
        url = request.build_absolute_uri()
    except Exception:  # DisallowedHost and friends: Django answers 400 downstream
        return None
    accept = request.META.get("HTTP_ACCEPT", "")
    request_hash = hashlib.blake2b(f"{url}\n{accept}".encode(), digest_size=16).hexdigest()
    return f"api:resp:{credential_hash}:{request_hash}"


def credential(request: HttpRequest) -> tuple[str, type] | None:
    """The credential DRF will authenticate this request with, and its class.

    As DRF tries them: an ``Authorization`` header decides alone (only ``Token`` is
    cacheable), else the JWT access cookie. Session sign-ins (the browsable API) are
    never served from here.
    """
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is not None:
        scheme, _, key = header.partition(" ")
        if scheme == TokenAuthentication.keyword and key:
            return f"token:{key}", TokenAuthentication
        return None
    cookie = access_cookie(request)
    return (f"jwt:{cookie}", JWTCookieAuthentication) if cookie else None


def _hash(secret: str) -> str:
    return hashlib.blake2b(secret.encode(), digest_size=20).hexdigest()


def invalidate_user(user_id: int) -> None:
    """Every cached answer of this user stops being served.

    If the cache is unreachable there is nothing to forget for now, and whatever it
    still holds when it returns expires within API_CACHE_SECONDS.
    """
    _bump(_version_key(user_id))


def invalidate_tiers() -> None:
    """A tier changed: every cached answer of every user stops being served."""
    _bump(TIERS_KEY)


def _bump(key: str) -> None:
    try:
        cache.set(key, secrets.token_hex(4), timeout=None)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; %s not bumped", key, exc_info=True)


@dataclass
class Slot:
    """What a miss needs to store its answer: filled by the view, stored by the middleware."""

    key: str
    authenticator: type
    user_id: int | None = None
    stamps: tuple[str, str] | None = None  # the user's version, the tiers' epoch
    seconds: int = 0


@dataclass(frozen=True)
class Entry:
    user_id: int
    stamps: tuple[str, str]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    gzipped: bool


def _variant(key: str, gzipped: bool) -> str:
    return f"{key}:{'gz' if gzipped else 'id'}"


class AnswerCacheMiddleware:
    """Serves cached answers before authentication; stores the view's on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        slot = self._slot(request)
        if slot is None:
            return self.get_response(request)
        hit = self._hit(request, slot)
        if hit is not None:
            return hit
        request.answer_cache = slot
        response = self.get_response(request)
        if slot.stamps is not None and response.status_code == 200:
            return self._store(request, slot, response)
        return response

    @staticmethod
    def _slot(request: HttpRequest) -> Slot | None:
        if request.method != "GET" or settings.API_CACHE_SECONDS <= 0:
            return None
        found = credential(request)
        if found is None:
            return None
        key = _answer_key(_hash(found[0]), request)
        return None if key is None else Slot(key=key, authenticator=found[1])

    @staticmethod
    def _hit(request: HttpRequest, slot: Slot) -> HttpResponse | None:
        key = _variant(slot.key, accepts_gzip(request))
        try:
            found = cache.get_many([key, TIERS_KEY])
            entry = found.get(key)
            if not isinstance(entry, Entry) or entry.stamps[1] != found.get(TIERS_KEY):
                return None
            if cache.get(_version_key(entry.user_id)) != entry.stamps[0]:
                return None
        except CACHE_ERRORS:
            logger.warning("API cache unavailable; answering uncached", exc_info=True)
            return None
        response = _bytes_response(entry)
        response["X-Cache"] = "hit"
        return response

    @staticmethod
    def _store(request: HttpRequest, slot: Slot, response: HttpResponseBase) -> HttpResponseBase:
        if response.streaming or len(response.content) > settings.API_CACHE_MAX_BYTES:
            return response
        plain = response.content
        headers = tuple(
            (name, value) for name, value in response.items() if name.lower() not in NOT_REPLAYED
        )
        assert slot.user_id is not None and slot.stamps is not None
        compressed = gzip_bytes(plain)
        gzipped = len(compressed) < len(plain)  # else both variants are the plain bytes
        entries = {
            _variant(slot.key, False): Entry(slot.user_id, slot.stamps, headers, plain, False),
            _variant(slot.key, True): Entry(
                slot.user_id, slot.stamps, headers, compressed if gzipped else plain, gzipped
            ),
        }
        try:
            cache.set_many(entries, timeout=slot.seconds)
        except CACHE_ERRORS:
            logger.warning("API cache unavailable; answer not stored", exc_info=True)
        return response


def cached_answer(request: Request, build: Callable[[], Response]) -> Response:
    """Build the answer, and let the middleware keep it when it may be served again.

    Only JSON answers are kept (the browsable API's pages carry forms and CSRF tokens),
    and only for the credential the middleware saw, authenticated by its own class.
    """
    slot = getattr(request, "answer_cache", None)
    renderer = getattr(request, "accepted_renderer", None)
    if (
        not isinstance(slot, Slot)
        or renderer is None
        or renderer.format != "json"
        or not isinstance(request.successful_authenticator, slot.authenticator)
    ):
        return build()
    user_id = request.user.pk
    try:  # read before building: a write committing meanwhile outdates this answer
        found = cache.get_many([_version_key(user_id), TIERS_KEY])
        for key in (_version_key(user_id), TIERS_KEY):
            if found.get(key) is None:
                cache.add(key, secrets.token_hex(4), timeout=None)
                found[key] = cache.get(key)
    except CACHE_ERRORS:
        logger.warning("API cache unavailable; answer not stored", exc_info=True)
        return build()
    slot.user_id = user_id
    slot.stamps = (found[_version_key(user_id)], found[TIERS_KEY])
    slot.seconds = _lifetime(request)
    return build()


def _lifetime(request: Request) -> int:
    """API_CACHE_SECONDS, and never past the expiry of a JWT that asked."""
    seconds = settings.API_CACHE_SECONDS
    expires = getattr(request.auth, "get", lambda _name: None)("exp")
    if isinstance(expires, int):
        seconds = min(seconds, max(0, expires - int(time.time())))
    return seconds


def _bytes_response(entry: Entry) -> HttpResponse:
    body, headers = entry.body, entry.headers
    response = HttpResponse(body)
    # Said here, as no inner middleware runs on a hit: without it the server would send
    # the answer chunked and end a keep-alive connection after it.
    response["Content-Length"] = str(len(body))
    for name, value in headers:
        response[name] = value
    vary = [v.strip() for v in response.get("Vary", "").split(",") if v.strip()]
    if "accept-encoding" not in {v.lower() for v in vary}:
        response["Vary"] = ", ".join([*vary, "Accept-Encoding"])
    if entry.gzipped:
        response["Content-Encoding"] = "gzip"
    return response
