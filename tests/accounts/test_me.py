"""GET /api/user/me/: who you are, what your tier includes, its limits and your usage."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Tier, UploadRecord
from images.processing.formats import MIME_TYPES, SOURCE_FORMATS
from tests.conftest import image_bytes


def me(client) -> dict:
    response = client.get("/api/user/me/")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_new_basic_user_sees_the_basic_tier_and_no_usage(client_for):
    client = client_for("Basic")

    body = me(client)

    assert body == {
        "username": client.user.username,
        "tier": "Basic",
        "includes": {"thumbnail_heights": [200], "original_link": False, "expiring_links": None},
        "limits": {
            "images": {"limit": 1000, "used": 0},
            "bytes": {"limit": 2 * 1024**3, "used": 0},
            "uploads_per_hour": {
                "limit": 100,
                "used": 0,
                "window_seconds": 3600,
                "frees_in": None,
            },
            "max_megapixels": 25.0,
        },
        "uploads": {
            "max_bytes": 20 * 1024 * 1024,
            "accepted_types": [MIME_TYPES[name] for name in SOURCE_FORMATS],
            "field": "image",
        },
    }


def test_enterprise_includes_the_expiring_link_range_and_unlimited_storage(client_for):
    body = me(client_for("Enterprise"))

    assert body["includes"] == {
        "thumbnail_heights": [200, 400],
        "original_link": True,
        "expiring_links": {"min_seconds": 300, "max_seconds": 30000},
    }
    assert body["limits"]["images"]["limit"] is None
    assert body["limits"]["bytes"]["limit"] is None
    assert body["limits"]["max_megapixels"] == 50.0  # the server-wide MAX_IMAGE_PIXELS


def test_usage_follows_uploads_and_deletions(client_for, upload):
    client = client_for("Premium")
    first, second = image_bytes(300, 200), image_bytes(200, 100)
    first_id = upload(client, first).json()["id"]
    upload(client, second)

    body = me(client)
    assert body["limits"]["images"]["used"] == 2
    assert body["limits"]["bytes"]["used"] == len(first) + len(second)
    assert body["limits"]["uploads_per_hour"]["used"] == 2
    assert 3590 <= body["limits"]["uploads_per_hour"]["frees_in"] <= 3600

    client.delete(f"/api/user/images/{first_id}/")

    body = me(client)
    assert body["limits"]["images"]["used"] == 1
    assert body["limits"]["bytes"]["used"] == len(second)
    assert body["limits"]["uploads_per_hour"]["used"] == 2  # deletions give no uploads back


def test_uploads_older_than_the_window_do_not_count(client_for, upload):
    client = client_for("Basic")
    upload(client)
    UploadRecord.objects.update(at=timezone.now() - timedelta(hours=2))

    assert me(client)["limits"]["uploads_per_hour"]["used"] == 0


def test_a_tier_change_shows_at_once(client_for):
    client = client_for("Basic")
    client.user.tier = Tier.objects.get(name="Enterprise")
    client.user.save()

    assert me(client)["tier"] == "Enterprise"


def test_only_ones_own_usage_is_counted(client_for, upload):
    alice, bob = client_for("Basic"), client_for("Basic")
    upload(alice)

    assert me(bob)["limits"]["images"]["used"] == 0


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_me_is_read_only(client_for, method):
    assert getattr(client_for("Basic"), method)("/api/user/me/").status_code == 405


def test_me_needs_a_signed_in_user(db):
    response = APIClient().get("/api/user/me/")

    assert response.status_code == 401
    assert "detail" in response.json()
