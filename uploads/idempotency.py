"""Requests sent with an ``Idempotency-Key``: done once, answered the same on every retry.

The first request with a key inserts its row and does the work in the same transaction;
a request racing it with the same key waits on the unique index (PostgreSQL) or the
write lock (SQLite) until the first commits, then finds the row and replays its answer.
So a flaky link that retries an upload gets one image and the first answer, for at
least ``IDEMPOTENCY_KEY_SECONDS`` (a day). The same key with a different request is
refused (422). Answers that say "try again" (429, 5xx) are not kept: the retry runs.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from accounts.models import User
from imageapi.errors import Rejected, Unprocessable
from uploads.models import IdempotentRequest

MAX_KEY_LENGTH = 255
KEPT_HEADERS = ("Location", "Retry-After", "Content-Location")


@dataclass(frozen=True)
class Answer:
    status: int
    body: object
    headers: dict[str, str]

    @property
    def keep(self) -> bool:
        """Whether a retry should get this answer again (not one that says "retry")."""
        return self.status < 500 and self.status != 429


def fingerprint(*parts: bytes | str) -> str:
    """A digest of what a request asked, to tell a retry from another request."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# Printable ASCII without leading or trailing spaces (HTTP drops those): the schema says
# the same (KEY_PATTERN), so a key the schema allows is always taken.
KEY_PATTERN = rf"^[\x21-\x7e](?:[\x20-\x7e]{{0,{MAX_KEY_LENGTH - 2}}}[\x21-\x7e])?$"


def check_key(key: str) -> None:
    if not re.fullmatch(KEY_PATTERN, key):
        raise Rejected(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
            "not starting or ending with a space.",
            code="bad_idempotency_key",
            field="Idempotency-Key",
        )


def once(owner: User, key: str, asked: str, run: Callable[[], Answer]) -> tuple[Answer, bool]:
    """``run()``'s answer, or the first answer given to ``key``; (answer, replayed)."""
    check_key(key)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(owner=owner, key=key, fingerprint=asked)
        except IntegrityError:  # another request has the key: it has committed by now
            return _replay(owner, key, asked), True
        answer = run()
        if not answer.keep:
            transaction.set_rollback(True)  # the key stays free for the retry
            return answer, False
        row.status_code, row.body, row.headers = answer.status, answer.body, answer.headers
        row.save(update_fields=["status_code", "body", "headers"])
        return answer, False


def _replay(owner: User, key: str, asked: str) -> Answer:
    row = IdempotentRequest.objects.select_for_update().get(owner=owner, key=key)
    if row.fingerprint != asked:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new request.",
            code="idempotency_key_reused",
        )
    return Answer(row.status_code or 200, row.body, dict(row.headers))


def forget_old_answers(before: datetime) -> int:
    """Remove the answers kept since before ``before``."""
    return IdempotentRequest.objects.filter(created_at__lt=before).delete()[0]
