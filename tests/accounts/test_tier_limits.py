"""Tier limits are set from the shell (`manage.py tier`) and in the admin."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Tier
from images.models import Thumbnail


def tier_command(*argv: str) -> str:
    out = StringIO()
    call_command("tier", *argv, stdout=out)
    return out.getvalue()


class TestTierCommand:
    def test_creates_a_tier_with_everything_it_can_set(self, db):
        output = tier_command(
            "Studio",
            "--heights", "400,200",
            "--original",
            "--expiring",
            "--max-images", "50",
            "--max-bytes", "1000000",
            "--uploads-per-hour", "10",
            "--max-megapixels", "12.5",
        )  # fmt: skip

        tier = Tier.objects.get(name="Studio")
        assert tier.thumbnail_heights == [200, 400]
        assert tier.original_link and tier.expiring_links
        assert (tier.max_images, tier.max_bytes, tier.uploads_per_hour) == (50, 1000000, 10)
        assert tier.max_megapixels == Decimal("12.5")
        assert output.startswith("Created tier 'Studio'")

    def test_updates_only_what_is_given(self, db):
        tier_command("Studio", "--heights", "200", "--original", "--max-images", "50")

        output = tier_command("Studio", "--uploads-per-hour", "5", "--no-original")

        tier = Tier.objects.get(name="Studio")
        assert Tier.objects.filter(name__iexact="studio").count() == 1
        assert tier.thumbnail_heights == [200]
        assert tier.max_images == 50 and tier.uploads_per_hour == 5
        assert not tier.original_link
        assert output.startswith(
            "Updated tier 'Studio': original link yes -> no; uploads per hour unlimited -> 5."
        )

    def test_none_makes_a_limit_unlimited(self, db):
        tier_command("Basic", "--max-images", "none", "--max-megapixels", "unlimited")

        basic = Tier.objects.get(name="Basic")
        assert basic.max_images is None and basic.max_megapixels is None

    @pytest.mark.parametrize(
        "argv",
        [
            ["--heights", "200,abc"],
            ["--heights", "0"],
            ["--heights", "99999"],
            ["--max-images", "0"],
            ["--max-images", "-3"],
            ["--max-bytes", "lots"],
            ["--max-megapixels", "1000"],  # over MAX_IMAGE_PIXELS
            ["--max-megapixels", "0.001"],
            ["--max-megapixels", "nan"],
            ["--max-megapixels", "-Infinity"],
            ["--max-images", "99999999999999999999999"],  # past any database integer
            ["--max-bytes", "1e9"],
        ],
    )
    def test_bad_values_are_clear_errors_and_change_nothing(self, db, argv):
        with pytest.raises(CommandError):
            tier_command("Basic", *argv)

        basic = Tier.objects.get(name="Basic")
        assert basic.thumbnail_heights == [200] and basic.max_images == 1000

    def test_a_new_height_gives_existing_images_their_thumbnails(
        self, client_for, upload, django_capture_on_commit_callbacks
    ):
        client = client_for("Premium")
        image_id = upload(client).json()["id"]

        with django_capture_on_commit_callbacks(execute=True):
            tier_command("Premium", "--heights", "200,400,120")

        heights = set(Thumbnail.objects.filter(image_id=image_id).values_list("height", flat=True))
        assert heights == {120, 200, 400}


def test_admin_sets_and_clears_limits(admin_client):
    response = admin_client.post(
        "/admin/accounts/tier/add/",
        {
            "name": "Trial",
            "thumbnail_heights": "100",
            "max_images": "10",
            "max_bytes": "",
            "uploads_per_hour": "3",
            "max_megapixels": "2.5",
        },
    )

    assert response.status_code == 302
    trial = Tier.objects.get(name="Trial")
    assert (trial.max_images, trial.max_bytes, trial.uploads_per_hour) == (10, None, 3)
    assert trial.max_megapixels == Decimal("2.5")


def test_admin_refuses_megapixels_over_the_server_limit(admin_client, settings):
    settings.MAX_IMAGE_PIXELS = 10_000_000

    response = admin_client.post(
        "/admin/accounts/tier/add/",
        {"name": "Huge", "thumbnail_heights": "100", "max_megapixels": "11"},
    )

    assert response.status_code == 200
    assert b"server-wide limit of 10" in response.content
    assert not Tier.objects.filter(name="Huge").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_images", "0"),
        ("max_images", "99999999999999999999999"),
        ("max_bytes", "-1"),
        ("uploads_per_hour", "lots"),
        ("max_megapixels", "NaN"),
        ("max_megapixels", "123456789"),
    ],
)
def test_admin_redisplays_bad_limits_with_an_error(admin_client, field, value):
    response = admin_client.post(
        "/admin/accounts/tier/add/", {"name": "Odd", "thumbnail_heights": "100", field: value}
    )

    assert response.status_code == 200
    assert b"errornote" in response.content
    assert not Tier.objects.filter(name="Odd").exists()
