"""Per-tier limits at upload: quotas answer 403, rates 429, exact under concurrency."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from PIL import ImageFile

from accounts.models import Tier, UploadRecord
from accounts.tiers import quotas
from imageapi.errors import NotAllowed, RateLimited
from images import services
from images.models import Image
from tests.conftest import image_bytes, upload_file
from tests.images.conftest import stored_files


@pytest.fixture
def limited_tier(db):
    """A tier with the given limits (everything else unlimited)."""

    def make(**limits) -> Tier:
        return Tier.objects.create(
            name=f"Limited {Tier.objects.count()}", thumbnail_heights=[50], **limits
        )

    return make


def age_uploads(user, minutes: int) -> None:
    """Make the user's uploads so far look ``minutes`` old to the hourly rate."""
    UploadRecord.objects.filter(user=user).update(at=timezone.now() - timedelta(minutes=minutes))


class TestImageQuota:
    def test_the_upload_past_the_limit_is_403_naming_limit_and_usage(
        self, client_for, upload, limited_tier, settings
    ):
        client = client_for(limited_tier(max_images=2))
        assert upload(client).status_code == 201
        assert upload(client).status_code == 201
        files_before = stored_files()

        response = upload(client)

        assert response.status_code == 403
        detail = response.json()["detail"]
        assert "allows 2 stored images" in detail and "you have 2" in detail
        assert Image.objects.filter(owner=client.user).count() == 2
        assert stored_files() == files_before  # nothing left behind

    def test_a_limit_of_one_reads_as_one_image(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(max_images=1))
        assert upload(client).status_code == 201

        detail = upload(client).json()["detail"]

        assert "allows 1 stored image and you have 1." in detail

    def test_deleting_an_image_frees_its_slot(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(max_images=1))
        first = upload(client).json()
        assert upload(client).status_code == 403

        assert client.delete(f"/api/user/images/{first['id']}/").status_code == 204

        assert upload(client).status_code == 201

    def test_an_over_quota_user_is_refused_before_the_file_is_examined(
        self, client_for, upload, limited_tier
    ):
        client = client_for(limited_tier(max_images=1))
        upload(client)

        response = upload(client, b"not an image at all")

        assert response.status_code == 403  # not 400: no decoding was attempted


class TestByteQuota:
    def test_an_upload_that_would_pass_the_byte_limit_is_403(
        self, client_for, upload, limited_tier
    ):
        small, big = image_bytes(64, 64), image_bytes(800, 600)
        client = client_for(limited_tier(max_bytes=len(small) + len(big) - 1))
        assert upload(client, small).status_code == 201

        response = upload(client, big)

        assert response.status_code == 403
        detail = response.json()["detail"]
        assert f"you store {len(small):,} bytes" in detail
        assert f"this upload is {len(big) / 1024:.4g} KiB" in detail

    def test_an_upload_that_fits_exactly_is_accepted(self, client_for, upload, limited_tier):
        data = image_bytes(64, 64)
        client = client_for(limited_tier(max_bytes=2 * len(data)))

        assert upload(client, data).status_code == 201
        assert upload(client, data).status_code == 201
        assert upload(client, data).status_code == 403


class TestMegapixelLimit:
    def test_an_image_over_the_tiers_megapixels_is_403(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(max_megapixels=Decimal("0.1")))

        assert upload(client, image_bytes(300, 300)).status_code == 201  # 0.09 MP
        response = upload(client, image_bytes(400, 300))  # 0.12 MP

        assert response.status_code == 403
        assert "0.12 megapixels" in response.json()["detail"]
        assert "at most 0.1 megapixels" in response.json()["detail"]

    def test_the_tiers_megapixels_are_judged_from_the_header_before_any_decode(
        self, client_for, upload, limited_tier, monkeypatch
    ):
        client = client_for(limited_tier(max_megapixels=Decimal("0.1")))
        data = image_bytes(400, 300, fmt="PNG")  # 0.12 MP

        def no_decoding(*args, **kwargs):
            pytest.fail("pixels were decoded for an image over the tier's cap")

        monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
        response = upload(client, data)

        assert response.status_code == 403
        assert response.json()["detail"].startswith("This image is 0.12 megapixels")
        assert Image.objects.count() == 0 and stored_files() == []

    def test_the_server_wide_limit_still_applies_above_a_tier_limit(
        self, client_for, upload, limited_tier, settings
    ):
        settings.MAX_IMAGE_PIXELS = 100 * 100
        client = client_for(limited_tier(max_megapixels=Decimal("25")))

        response = upload(client, image_bytes(200, 200))

        assert response.status_code == 400  # the global validation error, unchanged


class TestUploadRate:
    def test_past_the_hourly_rate_is_429_with_retry_after_and_ratelimit_fields(
        self, client_for, upload, limited_tier
    ):
        client = client_for(limited_tier(uploads_per_hour=2))
        assert upload(client).status_code == 201
        assert upload(client).status_code == 201

        response = upload(client)

        assert response.status_code == 429
        assert "2 uploads per hour" in response.json()["detail"]
        retry = int(response["Retry-After"])
        assert 3590 <= retry <= 3600
        assert response["RateLimit-Limit"] == "2"
        assert response["RateLimit-Remaining"] == "0"
        assert response["RateLimit-Reset"] == str(retry)
        assert response["RateLimit-Policy"] == "2;w=3600"

    def test_a_rate_of_one_reads_as_one_upload(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(uploads_per_hour=1))
        assert upload(client).status_code == 201

        detail = upload(client).json()["detail"]

        assert "allows 1 upload per hour and you have made 1 in the last hour" in detail

    def test_deleting_images_does_not_give_uploads_back(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(uploads_per_hour=1))
        image = upload(client).json()
        client.delete(f"/api/user/images/{image['id']}/")

        assert upload(client).status_code == 429

    def test_uploads_older_than_an_hour_stop_counting(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(uploads_per_hour=1))
        upload(client)
        age_uploads(client.user, minutes=61)

        assert upload(client).status_code == 201
        assert quotas.forget_old_uploads() == 1  # the periodic clean-up drops the old one
        assert UploadRecord.objects.filter(user=client.user).count() == 1

    def test_refused_uploads_do_not_count(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(uploads_per_hour=1))

        assert upload(client, b"garbage").status_code == 400
        assert upload(client).status_code == 201

    def test_retry_after_counts_down_from_the_oldest_upload(self, client_for, upload, limited_tier):
        client = client_for(limited_tier(uploads_per_hour=1))
        upload(client)
        age_uploads(client.user, minutes=50)

        response = upload(client)

        assert response.status_code == 429
        assert 595 <= int(response["Retry-After"]) <= 600


def test_unlimited_tier_counts_nothing_against_the_user(client_for, upload, limited_tier):
    client = client_for(limited_tier())
    for _ in range(3):
        assert upload(client).status_code == 201


def test_builtin_tiers_have_limits_after_migrate(db):
    basic = Tier.objects.get(name="Basic")
    enterprise = Tier.objects.get(name="Enterprise")

    assert basic.max_images and basic.max_bytes and basic.uploads_per_hour
    assert basic.max_megapixels is not None
    assert enterprise.max_images is None and enterprise.max_bytes is None


@pytest.mark.django_db(transaction=True)
def test_claim_outside_a_transaction_is_a_programming_error(make_user):
    with pytest.raises(RuntimeError):
        quotas.claim_upload(make_user(), size=1, pixels=1)


# --- Racing for the last slot, with real threads and transactions --------------------


def _race(target, n: int = 2) -> list[object]:
    """Run ``target`` in ``n`` threads released together; their results or errors."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("limits", "refusal"),
    [({"max_images": 1}, NotAllowed), ({"uploads_per_hour": 1}, RateLimited)],
)
def test_two_claims_racing_for_the_last_slot_one_wins(make_user, limits, refusal):
    tier = Tier.objects.create(name="One slot", thumbnail_heights=[50], **limits)
    user = make_user(tier)

    def claim_and_hold():
        with transaction.atomic():
            quotas.claim_upload(user, size=10, pixels=100)
            image = Image.objects.create(
                owner=user,
                key=f"k{threading.get_ident()}",
                file="x",
                width=10,
                height=10,
                format="PNG",
                thumbnail_format="PNG",
                size=10,
                sha256="0" * 64,
            )
            time.sleep(0.3)  # hold the slot open while the other claim arrives
        return image

    results = _race(claim_and_hold)

    images = [r for r in results if isinstance(r, Image)]
    refused = [r for r in results if isinstance(r, refusal)]
    assert len(images) == 1 and len(refused) == 1, results
    assert Image.objects.filter(owner=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_uploads_racing_for_the_last_slot_store_one_image(make_user, settings):
    tier = Tier.objects.create(name="One image", thumbnail_heights=[50], max_images=1)
    user = make_user(tier)
    data = image_bytes(320, 240)

    results = _race(lambda: services.upload_image(user, upload_file(data)))

    assert sorted(type(r).__name__ for r in results) == ["Image", "NotAllowed"], results
    assert Image.objects.filter(owner=user).count() == 1
    originals = [p for p in stored_files() if p.startswith("originals/")]
    assert len(originals) == 1  # the refused upload's stored file was removed
