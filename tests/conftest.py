"""Fixtures shared by the whole suite: users per tier, authenticated clients, images."""

import io
from collections.abc import Callable

import pytest
from django.core.cache import cache
from PIL import Image as PILImage
from rest_framework.test import APIClient

from accounts.models import Tier, User
from accounts.tiers.services import ensure_builtin_tiers
from tests.live_server import free_port

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets empty media storage and an empty cache."""
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "media"},
            },
        }
    else:  # S3 under `make test-services`: one bucket, emptied before each test
        from django.core.files.storage import default_storage

        default_storage.bucket.objects.all().delete()
    cache.clear()


@pytest.fixture
def cache_server_down(settings) -> None:
    """Point the cache at a Redis server that is not there."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


@pytest.fixture
def make_user(db) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    ensure_builtin_tiers()  # transactional tests flush the rows the data migration made

    def make(tier: str | Tier = "Basic", username: str | None = None, **extra) -> User:
        tier_obj = tier if isinstance(tier, Tier) else Tier.objects.get(name=tier)
        return User.objects.create_user(
            username=username or f"user{next(counter)}",
            password=PASSWORD,
            tier=tier_obj,
            **extra,
        )

    return make


@pytest.fixture
def admin_client(db):
    """A browser session of a superuser in django-admin."""
    from django.test import Client

    User.objects.create_superuser("boss", "boss@example.com", "boss-password-1")
    client = Client()
    # Through the login form: the brute-force guard needs a real request to judge.
    signed_in = client.post("/admin/login/", {"username": "boss", "password": "boss-password-1"})
    assert signed_in.status_code == 302
    return client


@pytest.fixture
def client_for(make_user) -> Callable[..., APIClient]:
    """An API client signed in with a DRF token, as a user of the given tier."""

    def make(tier: str | Tier | User = "Basic") -> APIClient:
        user = tier if isinstance(tier, User) else make_user(tier)
        from rest_framework.authtoken.models import Token

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client

    return make


def image_bytes(
    width: int = 640, height: int = 480, fmt: str = "JPEG", mode: str = "RGB", **save
) -> bytes:
    """A small real image: a gradient with a few shapes, so it compresses like a photo."""
    base = PILImage.linear_gradient("L").resize((width, height))
    if mode == "RGB":
        img = PILImage.merge(
            "RGB", (base, base.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT), base)
        )
    elif mode == "RGBA":
        img = PILImage.merge("RGBA", (base, base, base, base))
    else:
        img = base.convert(mode)
    buffer = io.BytesIO()
    img.save(buffer, fmt, **save)
    return buffer.getvalue()


def upload_file(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def upload(client_for):
    """Upload an image as a client; returns the response."""

    def do(client: APIClient, data: bytes | None = None, name: str = "photo.jpg"):
        payload = upload_file(image_bytes() if data is None else data, name)
        return client.post("/api/user/images/", {"image": payload}, format="multipart")

    return do
