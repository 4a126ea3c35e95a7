"""Signed capability links to media.

A link names an image by its random key and says what it grants: one thumbnail height,
the original, or the original until an expiry time. The signature (``django.core.signing``
with a salt of its own) is checked before any database or storage work, so forged or
altered links cost nothing.
"""

import time
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

SALT = "images.media-link"
_signer = signing.Signer(salt=SALT)


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


def _sign(payload: dict) -> str:
    return reverse("media", kwargs={"token": _signer.sign_object(payload)})


def thumbnail_path(image_key: str, height: int) -> str:
    return _sign({"k": image_key, "h": height})


def original_path(image_key: str) -> str:
    return _sign({"k": image_key})


def expiring_path(image_key: str, seconds: int, now: float | None = None) -> str:
    expires_at = int(now if now is not None else time.time()) + seconds
    return _sign({"k": image_key, "x": expires_at})


def verify(token: str, now: float | None = None) -> Grant:
    try:
        payload = _signer.unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
        raise LinkInvalid
    height, expires_at = payload.get("h"), payload.get("x")
    if height is not None and (type(height) is not int or height < 1):
        raise LinkInvalid
    if expires_at is not None and type(expires_at) is not int:
        raise LinkInvalid
    grant = Grant(image_key=payload["k"], height=height, expires_at=expires_at)
    if expires_at is not None and grant.seconds_left(now) == 0:
        raise LinkExpired
    return grant
