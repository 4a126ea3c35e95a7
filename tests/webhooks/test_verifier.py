"""The receiver-side check the README hands out: it accepts our deliveries and nothing else."""

import re
import time
from pathlib import Path

import pytest

from webhooks import signing
from webhooks.verify import TOLERANCE_SECONDS, InvalidWebhook, verify

ROOT = Path(__file__).resolve().parents[2]
# The Standard Webhooks specification's published test vector.
VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}


def delivery(secret: str, body: bytes = b'{"type": "image.ready"}', at: float | None = None):
    timestamp = int(time.time() if at is None else at)
    return signing.headers([secret], "msg_1", timestamp, body), body


def test_the_readme_quotes_the_verifier_exactly():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    module = (ROOT / "webhooks" / "verify.py").read_text()
    assert module in blocks


def test_our_signatures_match_the_standard_webhooks_test_vector():
    v = VECTOR
    assert signing.sign(v["secret"], v["id"], v["timestamp"], v["body"]) == v["signature"]
    headers = {
        "Webhook-Id": v["id"],
        "Webhook-Timestamp": str(v["timestamp"]),
        "Webhook-Signature": v["signature"],
    }
    verify(v["secret"], headers, v["body"], now=v["timestamp"] + 10)


def test_a_fresh_delivery_passes():
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    verify(secret, *delivery(secret))


def test_a_replayed_delivery_is_refused():
    secret = signing.new_secret()
    headers, body = delivery(secret, at=time.time() - TOLERANCE_SECONDS - 60)
    with pytest.raises(InvalidWebhook, match="tolerance"):
        verify(secret, headers, body)
    # Re-stamping it does not help: the timestamp is signed.
    headers["webhook-timestamp"] = str(int(time.time()))
    with pytest.raises(InvalidWebhook, match="no valid signature"):
        verify(secret, headers, body)


def test_a_delivery_from_the_future_is_refused():
    secret = signing.new_secret()
    with pytest.raises(InvalidWebhook, match="tolerance"):
        verify(secret, *delivery(secret, at=time.time() + TOLERANCE_SECONDS + 60))


def test_an_altered_body_or_another_secret_is_refused():
    secret = signing.new_secret()
    headers, body = delivery(secret)
    with pytest.raises(InvalidWebhook):
        verify(secret, headers, body.replace(b"ready", b"deleted"))
    with pytest.raises(InvalidWebhook):
        verify(signing.new_secret(), headers, body)


def test_missing_or_malformed_headers_are_refused():
    secret = signing.new_secret()
    headers, body = delivery(secret)
    for name in headers:
        with pytest.raises(InvalidWebhook, match="missing"):
            verify(secret, {k: v for k, v in headers.items() if k != name}, body)
    with pytest.raises(InvalidWebhook, match="malformed"):
        verify(secret, {**headers, "webhook-timestamp": "soon"}, body)


def test_either_secret_verifies_a_delivery_signed_during_a_rotation():
    old, new = signing.new_secret(), signing.new_secret()
    body = b"{}"
    headers = signing.headers([new, old], "msg_1", int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(old, headers, body)
    verify(new, headers, body)
