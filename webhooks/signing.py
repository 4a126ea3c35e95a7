"""Standard Webhooks signatures (https://www.standardwebhooks.com/), the sending side.

A secret is ``whsec_`` and base64 of 32 random bytes; the HMAC key is those bytes. The
signature is HMAC-SHA256 over ``{webhook-id}.{webhook-timestamp}.{body}``, written
``v1,<base64>``; during a rotation the header carries one per valid secret, separated
by spaces, so receivers holding either secret accept the delivery.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of the body under ``secret``."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.digest(key, signed, hashlib.sha256)).decode()


def headers(secrets_: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers, signed with every secret given."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_),
    }
