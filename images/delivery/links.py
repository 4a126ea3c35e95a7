"""Signed capability links to media.

A link names an image by its random key and says what it grants: one thumbnail height,
the original, or the original until an expiry time. The token is compact binary in
base64url: ``key (16 bytes) | grant kind (1) | value (4: height or expiry) | MAC (16)``,
50 characters in all. The MAC is HMAC-SHA256 truncated to 128 bits, under a key derived
from ``SECRET_KEY`` with Django's ``salted_hmac`` and a salt of its own, once per process;
keys from ``SECRET_KEY_FALLBACKS`` still verify, so the secret can be rotated. Making a
link costs one HMAC; checking one needs no database or storage work, so forged or altered
links cost nothing.
"""

import base64
import binascii
import functools
import hmac
import math
import struct
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import reverse
from django.utils.crypto import salted_hmac

SALT = "images.media-link"
MAC_BYTES = 16
_PAYLOAD = struct.Struct(">16sBI")  # image key, grant kind, value
_TOKEN_BYTES = _PAYLOAD.size + MAC_BYTES
_TOKEN_CHARS = math.ceil(_TOKEN_BYTES * 4 / 3)  # unpadded base64
THUMBNAIL, ORIGINAL, EXPIRING = 0, 1, 2


class LinkInvalid(Exception):
    """The link was not issued by us or was altered."""


class LinkExpired(Exception):
    """The link was genuine but its time is up."""


@dataclass(frozen=True)
class Grant:
    image_key: str
    height: int | None = None  # a thumbnail of this tier height
    expires_at: int | None = None  # an expiring link to the original (Unix time)

    @property
    def is_original(self) -> bool:
        return self.height is None

    def seconds_left(self, now: float | None = None) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, self.expires_at - int(now if now is not None else time.time()))


@functools.cache
def _keys(secrets: tuple[str, ...]) -> tuple[bytes, ...]:
    return tuple(salted_hmac(SALT, b"media-link-key", secret).digest() for secret in secrets)


def _signing_keys() -> tuple[bytes, ...]:
    """The current key first, then those of the fallback secrets (verification only)."""
    return _keys((settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, payload, "sha256")[:MAC_BYTES]


def make_token(
    image_key: str | bytes, kind: int, value: int = 0, *, key: bytes | None = None
) -> str:
    """A link token for the image (its key as hex, or as bytes when making several)."""
    raw_key = bytes.fromhex(image_key) if isinstance(image_key, str) else image_key
    payload = _PAYLOAD.pack(raw_key, kind, value)
    raw = payload + _mac(key or _signing_keys()[0], payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class LinkMaker:
    """Makes absolute links for one request: the URL prefix is worked out once."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.key = _signing_keys()[0]

    @classmethod
    def for_request(cls, request) -> "LinkMaker":
        prefix = media_prefix()
        return cls(request.build_absolute_uri(prefix) if request is not None else prefix)

    @classmethod
    def at(cls, base_url: str) -> "LinkMaker":
        """Links under ``base_url`` (scheme and host), e.g. for messages sent without a request."""
        return cls(base_url.rstrip("/") + media_prefix())

    def _link(self, image_key: str | bytes, kind: int, value: int) -> str:
        return self.base + make_token(image_key, kind, value, key=self.key)

    def thumbnail(self, image_key: str | bytes, height: int) -> str:
        return self._link(image_key, THUMBNAIL, height)

    def original(self, image_key: str | bytes) -> str:
        return self._link(image_key, ORIGINAL, 0)

    def expiring(self, image_key: str, seconds: int, now: float | None = None) -> str:
        expires_at = int(now if now is not None else time.time()) + seconds
        return self._link(image_key, EXPIRING, expires_at)


@functools.cache
def media_prefix() -> str:
    """The path every media link starts with (``/media/``), from the URL configuration."""
    return reverse("media", kwargs={"token": "_"})[:-1]


def thumbnail_path(image_key: str, height: int) -> str:
    return LinkMaker(media_prefix()).thumbnail(image_key, height)


def original_path(image_key: str) -> str:
    return LinkMaker(media_prefix()).original(image_key)


def expiring_path(image_key: str, seconds: int, now: float | None = None) -> str:
    return LinkMaker(media_prefix()).expiring(image_key, seconds, now)


def verify(token: str, now: float | None = None) -> Grant:
    payload, mac = _split(token)
    if not any(hmac.compare_digest(mac, _mac(key, payload)) for key in _signing_keys()):
        raise LinkInvalid
    key, kind, value = _PAYLOAD.unpack(payload)
    if kind == THUMBNAIL and value >= 1:
        return Grant(image_key=key.hex(), height=value)
    if kind == ORIGINAL:
        return Grant(image_key=key.hex())
    if kind == EXPIRING:
        grant = Grant(image_key=key.hex(), expires_at=value)
        if grant.seconds_left(now) == 0:
            raise LinkExpired
        return grant
    raise LinkInvalid


def _split(token: str) -> tuple[bytes, bytes]:
    """The payload and MAC a token spells; :class:`LinkInvalid` for anything else."""
    if len(token) != _TOKEN_CHARS:
        raise LinkInvalid
    try:
        raw = base64.urlsafe_b64decode(token + "==")
    except (binascii.Error, ValueError) as exc:
        raise LinkInvalid from exc
    # One spelling per token: base64 ignores stray bits and characters, links do not.
    if len(raw) != _TOKEN_BYTES or base64.urlsafe_b64encode(raw).rstrip(b"=") != token.encode():
        raise LinkInvalid
    return raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]


@receiver(setting_changed)
def _forget_cached(*, setting: str, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        media_prefix.cache_clear()
