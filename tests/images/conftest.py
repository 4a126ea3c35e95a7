import pytest
from django.http import HttpResponseBase
from rest_framework.test import APIClient

from images.files import orphans, storage
from tests.conftest import image_bytes


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def uploaded(client_for, upload):
    """(client, response body) for one JPEG uploaded by a user of the given tier."""

    def make(tier="Enterprise", data: bytes | None = None):
        client = client_for(tier)
        response = upload(client, data if data is not None else image_bytes(1200, 900))
        assert response.status_code == 201, response.content
        return client, response.json()

    return make


def path_of(url: str) -> str:
    return url.split("testserver", 1)[1]


def read_body(response: HttpResponseBase) -> bytes:
    """The whole body, streamed or not (a streamed one can be read only once)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def fetch(url: str, accept: str | None = None, **headers: str) -> HttpResponseBase:
    """GET a media link as anyone may (links carry their own credentials).

    The body is read to the end before this returns, as a client would, so a file is
    sent (or fails to be) inside the call; it is kept as ``response.body``.
    """
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    response = APIClient().get(path_of(url), **headers)
    response.body = read_body(response)
    return response


def stored_files() -> list[str]:
    """Every file in media storage, through the storage API (local disk or S3)."""
    return list(orphans.walk(""))


def stored_files_and_folders() -> list[str]:
    """Every file in media storage and, on local disk, every folder below the top ones
    (``originals/``, ``thumbnails/``): a folder left empty shows here."""
    names = stored_files()
    for prefix in orphans.PREFIXES:
        root = storage.local_path(prefix)
        if root is not None and root.is_dir():
            names += [f"{prefix}/{p.relative_to(root).as_posix()}" for p in root.rglob("*")]
    return sorted(set(names))
