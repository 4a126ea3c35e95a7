"""Thumbnails follow the tier: new heights appear, through backfill or on demand."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Tier
from images.models import Image, Thumbnail


def test_a_new_tier_height_appears_after_backfill(uploaded):
    client, _ = uploaded("Premium")
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200, 400, 600])
    assert not Thumbnail.objects.filter(height=600).exists()

    out = StringIO()
    call_command("backfill_thumbnails", stdout=out, stderr=StringIO())

    assert Thumbnail.objects.filter(height=600).count() == 1
    assert "Generated thumbnails for 1 image." in out.getvalue()
    heights = [t["height"] for t in client.get("/api/user/thumbnails/").json()]
    assert heights == [200, 400, 600]


def test_backfill_is_idempotent(uploaded):
    uploaded("Premium")
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200, 400, 600])
    call_command("backfill_thumbnails", stdout=StringIO(), stderr=StringIO())

    out = StringIO()
    call_command("backfill_thumbnails", stdout=out, stderr=StringIO())

    assert "Every image has all its thumbnails" in out.getvalue()
    assert Thumbnail.objects.count() == 3


def _heights() -> list[int]:
    return sorted(Thumbnail.objects.values_list("height", flat=True))


def test_an_upgrade_in_the_admin_makes_the_missing_thumbnails(
    uploaded, admin_client, django_capture_on_commit_callbacks
):
    client, image = uploaded("Basic")
    assert _heights() == [200]
    user = client.user
    form = {
        "username": user.username,
        "tier": Tier.objects.get(name="Premium").pk,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "is_active": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", form)

    assert response.status_code == 302
    assert _heights() == [200, 400]
    body = client.get(f"/api/user/images/{image['id']}/").json()
    assert [t["height"] for t in body["thumbnails"]] == [200, 400]
    assert body["image"] is not None


def test_a_height_added_to_a_tier_in_the_admin_is_generated(
    uploaded, admin_client, django_capture_on_commit_callbacks
):
    uploaded("Premium")
    premium = Tier.objects.get(name="Premium")
    form = {"name": "Premium", "thumbnail_heights": "200, 400, 100", "original_link": "on"}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/accounts/tier/{premium.pk}/change/", form)

    assert response.status_code == 302
    assert _heights() == [100, 200, 400]


def test_a_tier_change_by_command_makes_the_missing_thumbnails(
    uploaded, django_capture_on_commit_callbacks
):
    client, _ = uploaded("Basic")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_user", client.user.username, tier="Enterprise", stdout=StringIO())

    assert _heights() == [200, 400]


def test_a_model_save_alone_makes_no_thumbnails(uploaded, django_capture_on_commit_callbacks):
    """Backfill is an explicit service: saving a row in the shell queues no work."""
    client, _ = uploaded("Basic")

    with django_capture_on_commit_callbacks(execute=True):
        client.user.tier = Tier.objects.get(name="Premium")
        client.user.save()

    assert _heights() == [200]


def test_backfill_of_one_user_takes_a_username_or_an_id(uploaded):
    uploaded("Premium")
    user = Image.objects.get().owner
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200, 400, 600])

    out = StringIO()
    call_command("backfill_thumbnails", "--user", user.username, stdout=out, stderr=StringIO())

    assert "Generated thumbnails for 1 image." in out.getvalue()
    again = StringIO()
    call_command("backfill_thumbnails", "--user", str(user.pk), stdout=again, stderr=StringIO())
    assert "Every image has all its thumbnails." in again.getvalue()


@pytest.mark.parametrize("given", ["nobody", "999999"])
def test_backfill_of_an_unknown_user_fails_naming_it(db, given):
    with pytest.raises(CommandError, match=f"There is no user '{given}'"):
        call_command("backfill_thumbnails", "--user", given, stdout=StringIO())
