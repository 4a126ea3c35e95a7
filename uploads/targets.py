"""Where a staged upload's bytes go, and reading them back.

With S3 the browser POSTs straight to the bucket (a presigned POST whose policy pins the
staging key and bounds the size); with local storage it PUTs to a signed URL on this
server, which streams the body to storage under the same bound. The client follows one
flow either way: send what ``upload`` says, then complete.
"""

from dataclasses import dataclass
from typing import IO

from django.core import signing
from django.urls import reverse

from imageapi.errors import Gone, NotAllowed, TooLarge
from images.files import storage
from uploads.models import Upload

SALT = "uploads.put"
CHUNK = 256 * 1024


@dataclass(frozen=True)
class Target:
    """What the client sends the bytes to: ``method`` ``url`` with ``fields`` (a form
    POST, the file last, as ``file``) or ``headers`` (a PUT of the raw bytes)."""

    url: str
    method: str
    fields: dict[str, str] | None = None
    headers: dict[str, str] | None = None

    def as_dict(self) -> dict:
        out: dict = {"url": self.url, "method": self.method}
        if self.fields is not None:
            out["fields"] = self.fields
        if self.headers is not None:
            out["headers"] = self.headers
        return out


def staging_key(upload_id: str) -> str:
    return f"staging/{upload_id}"


def target_for(upload: Upload, *, max_bytes: int, seconds: int, base_url: str) -> Target:
    """The upload target of ``upload``, accepting at most ``max_bytes``, for ``seconds``."""
    if storage.is_s3():
        post = storage.presigned_post(upload.staging_key, max_bytes=max_bytes, seconds=seconds)
        return Target(url=post["url"], method="POST", fields=post["fields"])
    token = signing.dumps({"id": str(upload.pk), "max": max_bytes}, salt=SALT)
    path = reverse("upload-content", kwargs={"pk": upload.pk})
    return Target(
        url=f"{base_url}{path}?token={token}",
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )


def verify_put(token: str, upload_id: str, *, seconds: int) -> int:
    """The byte bound a PUT token grants for ``upload_id``.

    Raises :class:`Gone` when it expired, :class:`NotAllowed` when it is not a token of
    this upload (forged, or another upload's: a guessed staging key gets nothing).
    """
    try:
        claims = signing.loads(token, salt=SALT, max_age=seconds)
    except signing.SignatureExpired as exc:
        raise Gone("This upload URL has expired; start a new upload.", code="url_expired") from exc
    except signing.BadSignature as exc:
        raise NotAllowed("This upload URL is not valid.", code="bad_upload_url") from exc
    if claims.get("id") != upload_id:
        raise NotAllowed("This upload URL is not valid.", code="bad_upload_url")
    return int(claims["max"])


class BoundedReader:
    """A read-only stream that refuses to give more than ``limit`` bytes (413)."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.limit, self.received = stream, limit, 0

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else min(size, CHUNK)
        chunk = self.stream.read(min(want, self.limit - self.received + 1))
        self.received += len(chunk)
        if self.received > self.limit:
            raise TooLarge(
                f"More bytes arrived than this upload allows ({self.limit:,}).",
                code="too_large",
            )
        return chunk


def receive(upload: Upload, stream: IO[bytes], *, limit: int) -> int:
    """Store the body of a PUT as the upload's staged object; the bytes stored."""
    reader = BoundedReader(stream, limit)
    try:
        storage.save_stream(upload.staging_key, reader)  # type: ignore[arg-type]
    except TooLarge:
        storage.delete_quietly(upload.staging_key)
        raise
    return reader.received


def staged_size(upload: Upload) -> int | None:
    return storage.size_of(upload.staging_key)


def read_staged(upload: Upload, *, limit: int) -> bytes:
    return storage.read_at_most(upload.staging_key, limit)


def discard(upload: Upload) -> None:
    storage.delete_quietly(upload.staging_key)
