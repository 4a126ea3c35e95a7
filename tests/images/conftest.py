import pytest
from rest_framework.test import APIClient

from images.files import orphans
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


def stored_files() -> list[str]:
    """Every file in media storage, through the storage API (local disk or S3)."""
    return list(orphans.walk(""))
