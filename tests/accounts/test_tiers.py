"""Tiers: the built-in three, the default for new users, and height validation."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from accounts.forms import TierForm
from accounts.models import Tier, User


def test_migrate_creates_the_three_builtin_tiers(db):
    tiers = {t.name: t for t in Tier.objects.all()}

    assert tiers["Basic"].thumbnail_heights == [200]
    assert not tiers["Basic"].original_link and not tiers["Basic"].expiring_links
    assert tiers["Premium"].thumbnail_heights == [200, 400]
    assert tiers["Premium"].original_link and not tiers["Premium"].expiring_links
    assert tiers["Enterprise"].thumbnail_heights == [200, 400]
    assert tiers["Enterprise"].original_link and tiers["Enterprise"].expiring_links


def test_a_user_with_no_tier_chosen_is_basic(db):
    user = User.objects.create_user("plain", password="x")

    assert user.tier.name == "Basic"


def test_a_tier_in_use_cannot_be_deleted(make_user):
    user = make_user("Premium")

    with pytest.raises(ProtectedError):
        user.tier.delete()


@pytest.mark.parametrize(
    ("heights", "message"),
    [
        ([0], "positive"),
        ([-5], "positive"),
        ([200, 200], "twice"),
        ([5000], "limit of 4096"),
        (["200"], "whole number"),
        ([2.5], "whole number"),
        ("200", "list"),
    ],
)
def test_invalid_heights_are_refused_with_a_reason(db, heights, message):
    tier = Tier(name="Custom", thumbnail_heights=heights)

    with pytest.raises(ValidationError) as excinfo:
        tier.full_clean()

    assert message in str(excinfo.value)


def test_height_limit_follows_the_setting(db, settings):
    settings.MAX_THUMBNAIL_HEIGHT = 100

    with pytest.raises(ValidationError):
        Tier(name="Big", thumbnail_heights=[150]).full_clean()


def test_heights_are_stored_sorted(db):
    tier = Tier.objects.create(name="Custom", thumbnail_heights=[800, 100, 300])

    tier.refresh_from_db()
    assert tier.thumbnail_heights == [100, 300, 800]


def test_admin_form_takes_comma_separated_heights(db):
    form = TierForm(data={"name": "Custom", "thumbnail_heights": "400, 100", "original_link": "on"})

    assert form.is_valid(), form.errors
    tier = form.save()
    assert tier.thumbnail_heights == [100, 400]
    assert tier.original_link and not tier.expiring_links


@pytest.mark.parametrize("typed", ["100, abc", "0", "100, 100", "9999"])
def test_admin_form_explains_bad_heights(db, typed):
    form = TierForm(data={"name": "Custom", "thumbnail_heights": typed})

    assert not form.is_valid()
    assert form.errors["thumbnail_heights"]


def test_admin_form_refuses_a_tier_whose_users_could_see_nothing(db):
    form = TierForm(data={"name": "Odd", "thumbnail_heights": ""})

    assert not form.is_valid()
    assert "at least one thumbnail height" in str(form.errors["thumbnail_heights"])


def test_a_tier_with_only_the_original_link_is_accepted(db):
    form = TierForm(data={"name": "Originals", "thumbnail_heights": "", "original_link": "on"})

    assert form.is_valid(), form.errors
