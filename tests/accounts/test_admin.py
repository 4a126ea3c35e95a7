"""django-admin pages for tiers, users and images render for a superuser."""

import re

import pytest

from accounts.models import Tier


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/tier/",
        "/admin/accounts/tier/add/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/accounts/user/?tier__id__exact=1",
        "/admin/images/image/",
    ],
)
def test_admin_pages_render(admin_client, path):
    response = admin_client.get(path)

    assert response.status_code == 200
    assert b"Image API administration" in response.content


def test_tier_change_page_shows_heights_as_text(admin_client):
    premium = Tier.objects.get(name="Premium")

    response = admin_client.get(f"/admin/accounts/tier/{premium.pk}/change/")

    assert b'value="200, 400"' in response.content


def test_admin_adds_a_tier_with_validated_heights(admin_client):
    response = admin_client.post(
        "/admin/accounts/tier/add/",
        {"name": "Thumbs only", "thumbnail_heights": "50, 0"},
    )
    assert response.status_code == 200  # form redisplayed with the error
    assert not Tier.objects.filter(name="Thumbs only").exists()

    response = admin_client.post(
        "/admin/accounts/tier/add/",
        {"name": "Thumbs only", "thumbnail_heights": "50, 100"},
    )
    assert response.status_code == 302
    assert Tier.objects.get(name="Thumbs only").thumbnail_heights == [50, 100]


def test_admin_changes_a_users_tier(admin_client, make_user):
    user = make_user("Basic")
    enterprise = Tier.objects.get(name="Enterprise")

    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(user.pk),
            "form-0-tier": str(enterprise.pk),
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.tier == enterprise


def test_image_admin_shows_previews_and_readonly_thumbnails(admin_client, client_for, upload):
    client = client_for("Premium")
    image_id = upload(client).json()["id"]

    listing = admin_client.get("/admin/images/image/")
    detail = admin_client.get(f"/admin/images/image/{image_id}/change/")

    assert listing.status_code == 200
    assert b'<img src="/media/' in listing.content
    assert detail.status_code == 200
    assert b"Thumbnails" in detail.content
    inline_heights = re.findall(rb'<td class="field-height">\s*<p>(\d+)</p>', detail.content)
    assert inline_heights == [b"200", b"400"]
