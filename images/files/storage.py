"""Files, through Django's storage API only; the few S3-only needs behind small functions.

Local disk and S3 are one code path (``default_storage``). What only S3 can do
(presigned URLs, a streamed read, a fail-fast bucket probe) uses public django-storages
and boto3 APIs, and callers ask :func:`is_s3` instead of checking
classes themselves.
"""

import logging
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from imageapi.errors import Unavailable
from imageapi.outages import STORAGE_ERRORS

logger = logging.getLogger(__name__)

T = TypeVar("T")

UNAVAILABLE = "The image store is unavailable; try again shortly."


def is_s3() -> bool:
    from storages.backends.s3 import S3Storage  # the embedded mode never needs boto3

    return isinstance(default_storage, S3Storage)


def save_then_record(files: dict[str, bytes], record: Callable[[list[str]], T]) -> T:
    """Store each file (name -> content), then ``record(stored_names)`` (database rows).

    The files are removed again when storing or recording fails for any reason, so no
    file is ever left without its row. A storage outage is :class:`Unavailable` (503).
    """
    stored: list[str] = []
    try:
        for name, content in files.items():
            stored.append(_save(name, content))
    except STORAGE_ERRORS as exc:
        logger.warning("storing %s failed: %s", name, exc)
        for done in stored:
            delete_quietly(done)
        raise Unavailable(UNAVAILABLE) from exc
    try:
        return record(stored)
    except BaseException:
        for done in stored:
            delete_quietly(done)
        raise


def _save(name: str, content: bytes) -> str:
    try:
        return default_storage.save(name, ContentFile(content))
    except FileNotFoundError:
        # On local disk, its folder was removed as empty between being made and written.
        return default_storage.save(name, ContentFile(content))


def delete_quietly(name: str) -> None:
    """Remove a file, and its folder if now empty; what can't go is left for ``cleanup_storage``."""
    try:
        default_storage.delete(name)
    except STORAGE_ERRORS:
        logger.warning("could not remove %s; cleanup_storage will find it", name, exc_info=True)
        return
    remove_empty_folders(name)


def local_path(name: str) -> Path | None:
    """Where a name lives on local disk; None with storage that has no folders (S3)."""
    if is_s3():
        return None
    try:
        return Path(default_storage.path(name))
    except NotImplementedError:
        return None


def remove_empty_folders(name: str) -> None:
    """On local disk, remove the folders above ``name`` that are now empty.

    The top-level folders (``originals/``, ``thumbnails/``) stay. A file saved into a
    folder just removed is saved again (see ``_save``), so this cannot lose an upload.
    """
    parents = PurePosixPath(name).parents
    for folder in list(parents)[:-2]:  # the last two are the top-level folder and ""
        path = local_path(str(folder))
        if path is None:
            return
        try:
            path.rmdir()
        except OSError:  # not empty (or already gone): nothing above is empty either
            return


def delete_on_commit(name: str) -> None:
    """Remove a file once the current transaction commits (a rollback keeps it)."""
    if name:
        transaction.on_commit(lambda: delete_quietly(name))


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def open_stream(name: str) -> IO[bytes]:
    """A readable stream of the file.

    On S3, ``storage.open()`` would download the whole object to a temporary file on
    first read; the boto3 object of the opened file (``S3File.obj``, public) streams the
    body straight through instead, after the HEAD that ``open()`` makes.
    """
    opened = default_storage.open(name, "rb")
    if not is_s3():
        return opened
    return opened.obj.get()["Body"]


def presigned_url(
    name: str, *, seconds: int, method: str = "GET", response_headers: dict | None = None
) -> str:
    """A URL of the S3 object that works for ``seconds`` without credentials."""
    return default_storage.url(
        name, parameters=response_headers or {}, expire=seconds, http_method=method
    )


def presigned_post(name: str, *, max_bytes: int, seconds: int) -> dict:
    """An S3 presigned POST that lets a browser store one object at ``name``.

    The policy pins the key and bounds the body (``content-length-range``, 1 to
    ``max_bytes``); it works for ``seconds``. Returns boto3's ``{"url", "fields"}``.
    """
    client = default_storage.connection.meta.client
    return client.generate_presigned_post(
        Bucket=default_storage.bucket_name,
        Key=name,
        Conditions=[["content-length-range", 1, max_bytes]],
        ExpiresIn=seconds,
    )


def size_of(name: str) -> int | None:
    """The stored file's size in bytes; None when there is no such file."""
    try:
        return default_storage.size(name)
    except STORAGE_ERRORS as exc:
        if is_missing(exc):
            return None
        raise Unavailable(UNAVAILABLE) from exc


def read_at_most(name: str, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes of the file (one more than allowed shows it is too long)."""
    with open_stream(name) as stream:
        return stream.read(limit + 1)


def save_stream(name: str, stream: IO[bytes]) -> str:
    """Store a stream at exactly ``name`` (replacing what was there), chunk by chunk."""
    from django.core.files import File

    default_storage.delete(name)
    return default_storage.save(name, File(stream, name=PurePosixPath(name).name))


def is_missing(exc: BaseException) -> bool:
    """Whether a storage error means the file is not there (rather than an outage)."""
    if isinstance(exc, FileNotFoundError):
        return True
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}
    return False


def probe() -> None:
    """Raise unless the storage answers now (readiness), failing within seconds."""
    if not is_s3():
        default_storage.exists("readyz-probe")
        return
    _probe_client().head_bucket(Bucket=default_storage.bucket_name)


_probe_clients: dict[tuple, object] = {}


def _probe_client():
    """An S3 client with the storage's endpoint and credentials: one try, short timeouts."""
    storage = default_storage
    identity = (storage.endpoint_url, storage.region_name, storage.access_key, storage.use_ssl)
    client = _probe_clients.get(identity)
    if client is None:
        import boto3
        from botocore.config import Config

        client = boto3.session.Session().client(
            "s3",
            endpoint_url=storage.endpoint_url,
            region_name=storage.region_name,
            aws_access_key_id=storage.access_key,
            aws_secret_access_key=storage.secret_key,
            use_ssl=storage.use_ssl,
            verify=storage.verify,
            config=storage.client_config.merge(
                Config(
                    connect_timeout=2,
                    read_timeout=2,
                    retries={"mode": "standard", "max_attempts": 1},
                )
            ),
        )
        _probe_clients[identity] = client
    return client
