"""Check a webhook from the Image API (Standard Webhooks). Needs only Python's stdlib."""

import base64
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300  # refuse deliveries signed longer ago (or ahead) than this: replays


class InvalidWebhook(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raise InvalidWebhook unless ``body`` was signed by us, with ``secret``, just now."""
    headers = {name.lower(): value for name, value in headers.items()}
    try:
        msg_id = headers["webhook-id"]
        timestamp = int(headers["webhook-timestamp"])
        signatures = headers["webhook-signature"].split()
    except (KeyError, ValueError) as exc:
        raise InvalidWebhook("missing or malformed webhook headers") from exc
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise InvalidWebhook("timestamp outside the tolerance window")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.digest(key, signed, hashlib.sha256)).decode()
    if not any(hmac.compare_digest(f"v1,{expected}", sig) for sig in signatures):
        raise InvalidWebhook("no valid signature")
