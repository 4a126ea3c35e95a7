"""Staged uploads as a client makes them: start, send the bytes where told, complete, poll.

The same tests run with local storage (the bytes go to this server's signed PUT URL,
through the test client) and under `make test-services` with S3 (a presigned POST to
the S3 server, over HTTP).
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from tests.conftest import image_bytes


@dataclass
class Started:
    id: str
    body: dict
    response: object

    @property
    def target(self) -> dict:
        return self.body["upload"]


def start(client: APIClient, size: int, filename: str = "photo.jpg"):
    return client.post("/api/user/uploads/", {"size": size, "filename": filename}, format="json")


def send(client: APIClient, target: dict, data: bytes) -> int:
    """Send ``data`` as the target says; the status code the store answered."""
    if target["method"] == "PUT":
        url = urlsplit(target["url"])
        response = APIClient().put(  # no credentials: the signed URL is enough
            f"{url.path}?{url.query}", data, content_type=target["headers"]["Content-Type"]
        )
        return response.status_code
    import requests

    answer = requests.post(
        target["url"], data=target["fields"], files={"file": ("photo", data)}, timeout=30
    )
    return answer.status_code


def complete(client: APIClient, upload_id: str, **headers):
    return client.post(f"/api/user/uploads/{upload_id}/complete", **headers)


def status(client: APIClient, upload_id: str):
    return client.get(f"/api/user/uploads/{upload_id}/")


@pytest.fixture
def started(client_for) -> Callable[..., Started]:
    """Start an upload of ``data`` (its size declared) as ``client``; asserts the 201."""

    def make(client: APIClient, data: bytes, size: int | None = None) -> Started:
        response = start(client, len(data) if size is None else size)
        assert response.status_code == 201, response.content
        body = response.json()
        return Started(body["id"], body, response)

    return make


@pytest.fixture
def staged(started) -> Callable[..., dict]:
    """The whole flow: start, send, complete; returns the status answer afterwards."""

    def run(client: APIClient, data: bytes | None = None) -> dict:
        data = image_bytes(900, 600) if data is None else data
        upload = started(client, data)
        assert send(client, upload.target, data) in (200, 201, 204)
        assert complete(client, upload.id).status_code == 202
        answer = status(client, upload.id)
        assert answer.status_code == 200
        return answer.json()

    return run
