"""Media behind signed links: fetched with no credentials, revoked by tier and deletion."""

import io
import time

import pytest
from PIL import Image as PILImage

from accounts.models import Tier
from images.delivery import links
from images.models import Image
from tests.conftest import image_bytes
from tests.images.conftest import fetch, path_of, read_body


def test_every_thumbnail_link_serves_the_right_image(uploaded):
    _, image = uploaded("Premium")

    for thumb in image["thumbnails"]:
        response = fetch(thumb["url"])
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        picture = PILImage.open(io.BytesIO(response.body))
        assert picture.format == "JPEG"
        assert picture.height == thumb["height"]
        assert picture.width == round(1200 * thumb["height"] / 900)


def test_original_link_serves_the_uploaded_bytes(uploaded):
    data = image_bytes(640, 480, "PNG")
    _, image = uploaded("Premium", data)

    response = fetch(image["image"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.body == data
    assert response["Content-Length"] == str(len(data))


def test_media_are_cached_at_most_media_cache_seconds_and_originals_never_in_shared_caches(
    uploaded, settings
):
    settings.MEDIA_CACHE_SECONDS = 600
    _, image = uploaded("Premium")

    thumbnail = fetch(image["thumbnails"][0]["url"])
    original = fetch(image["image"])

    assert thumbnail["Cache-Control"] == "public, max-age=600"  # no year, no "immutable"
    assert original["Cache-Control"] == "private, max-age=600"


def test_responses_are_cacheable_and_revalidate_with_etag(uploaded):
    _, image = uploaded("Premium")
    url = image["thumbnails"][0]["url"]

    first = fetch(url)
    assert first["Cache-Control"] == "public, max-age=3600"
    etag = first["ETag"]

    again = fetch(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.body == b""


def test_head_answers_headers_without_a_body(uploaded, anonymous):
    _, image = uploaded("Premium")

    response = anonymous.head(path_of(image["image"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert int(response["Content-Length"]) == image["size"]
    assert read_body(response) == b""


def test_other_methods_are_not_allowed(uploaded, anonymous):
    _, image = uploaded("Premium")

    response = anonymous.post(path_of(image["image"]))

    assert response.status_code == 405
    assert response.json()["detail"]


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _flip(token: str, index: int) -> str:
    return token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]


def _other_key_token(image_key: str, height: int) -> str:
    from django.test import override_settings

    with override_settings(SECRET_KEY="another-deployment-" + "k" * 40):
        return links.make_token(image_key, links.THUMBNAIL, height)


@pytest.mark.parametrize(
    "how",
    [
        "flip a key character",
        "flip a MAC character",
        "grant swapped",
        "height changed",
        "truncated",
        "extended",
        "stray trailing bits",
        "signed with another key",
        "garbage",
    ],
)
def test_tampered_links_are_not_found_before_any_query(
    uploaded, anonymous, how, django_assert_num_queries
):
    _, image = uploaded("Premium")
    token = path_of(image["thumbnails"][0]["url"]).removeprefix("/media/")
    original = path_of(image["image"]).removeprefix("/media/")
    grant = links.verify(token)
    forged = {
        "flip a key character": _flip(token, 3),
        "flip a MAC character": _flip(token, 40),
        "grant swapped": original[:28] + token[28:],
        "height changed": token[:22] + original[22:28] + token[28:],
        "truncated": token[:-1],
        "extended": token + "A",
        # The last base64 character carries 2 spare bits that decoding would ignore.
        "stray trailing bits": token[:-1] + B64[B64.index(token[-1]) ^ 1],
        "signed with another key": _other_key_token(grant.image_key, grant.height),
        "garbage": "not-a-token",
    }[how]
    assert forged != token

    with django_assert_num_queries(0):
        response = anonymous.get(f"/media/{forged}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_forged_links_are_refused_before_any_database_work(
    anonymous, db, django_assert_num_queries
):
    forged = links.thumbnail_path("0" * 32, 200)[:-3] + "xyz"

    with django_assert_num_queries(0):
        response = anonymous.get(forged)

    assert response.status_code == 404


def test_links_made_before_a_key_rotation_keep_working(uploaded, settings):
    _, image = uploaded("Premium")
    old_secret = settings.SECRET_KEY

    settings.SECRET_KEY = "rotated-" + "n" * 50
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert fetch(image["thumbnails"][0]["url"]).status_code == 200

    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: its links stop working
    assert fetch(image["thumbnails"][0]["url"]).status_code == 404


def test_links_are_compact(uploaded):
    client, image = uploaded("Enterprise")
    expiring = client.get(f"/api/user/link/{image['id']}/?time=300").json()["url"]

    for url in [image["image"], image["thumbnails"][0]["url"], expiring]:
        token = path_of(url).removeprefix("/media/")
        assert len(token) <= 64, token


def test_a_thumbnail_link_cannot_be_turned_into_another_height(uploaded, anonymous):
    uploaded("Basic")
    key = Image.objects.get().key

    # A genuine signature for a height the tier does not have (e.g. leaked from an old tier).
    response = anonymous.get(links.thumbnail_path(key, 400))

    assert response.status_code == 404


def test_downgrade_revokes_a_previously_issued_original_link(uploaded):
    client, image = uploaded("Premium")
    assert fetch(image["image"]).status_code == 200

    client.user.tier = Tier.objects.get(name="Basic")
    client.user.save()

    assert fetch(image["image"]).status_code == 404
    assert client.get(f"/api/user/images/{image['id']}/").json()["image"] is None
    assert fetch(image["thumbnails"][1]["url"]).status_code == 404  # 400 px gone
    assert fetch(image["thumbnails"][0]["url"]).status_code == 200  # 200 px stays


def test_removing_a_height_from_a_tier_revokes_its_links(uploaded):
    _, image = uploaded("Premium")
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200])

    assert fetch(image["thumbnails"][1]["url"]).status_code == 404


def test_deleting_the_image_revokes_every_link(uploaded):
    client, image = uploaded("Premium")
    client.delete(f"/api/user/images/{image['id']}/")

    assert fetch(image["image"]).status_code == 404
    assert fetch(image["thumbnails"][0]["url"]).status_code == 404


def test_a_missing_thumbnail_is_made_on_first_request(uploaded):
    _, image = uploaded("Premium")
    stored = Image.objects.get()
    stored.thumbnails.all().delete()

    response = fetch(image["thumbnails"][1]["url"])

    assert response.status_code == 200
    assert PILImage.open(io.BytesIO(response.body)).height == 400
    assert stored.thumbnails.count() == 2  # both heights made from the one decode


class TestExpiringLinks:
    def test_link_serves_the_original_until_it_expires(self, uploaded):
        data = image_bytes(800, 600)
        client, image = uploaded("Enterprise", data)

        response = client.get(f"/api/user/link/{image['id']}/?time=300")

        assert response.status_code == 200
        link = response.json()
        assert link["expires_in"] == 300
        served = fetch(link["url"])
        assert served.status_code == 200
        assert served.body == data
        max_age = int(served["Cache-Control"].split("max-age=")[1])
        assert 0 < max_age <= 300
        assert "private" in served["Cache-Control"]

    def test_expired_link_is_gone(self, uploaded, anonymous):
        uploaded("Enterprise")
        key = Image.objects.get().key

        path = links.expiring_path(key, 300, now=time.time() - 301)
        response = anonymous.get(path)

        assert response.status_code == 410
        assert "expired" in response.json()["detail"]

    def test_link_is_revoked_when_the_tier_loses_expiring_links(self, uploaded):
        client, image = uploaded("Enterprise")
        link = client.get(f"/api/user/link/{image['id']}/?time=1000").json()

        Tier.objects.filter(name="Enterprise").update(expiring_links=False)

        assert fetch(link["url"]).status_code == 404

    @pytest.mark.parametrize(
        "time_param",
        ["", "?time=", "?time=299", "?time=30001", "?time=abc", "?time=1.5", "?time=" + "9" * 2000],
    )
    def test_bad_time_is_400(self, uploaded, time_param):
        client, image = uploaded("Enterprise")

        response = client.get(f"/api/user/link/{image['id']}/{time_param}")

        assert response.status_code == 400
        assert "time" in response.json()

    @pytest.mark.parametrize("tier", ["Basic", "Premium"])
    def test_tiers_without_expiring_links_get_403(self, uploaded, tier):
        client, image = uploaded(tier)

        response = client.get(f"/api/user/link/{image['id']}/?time=300")

        assert response.status_code == 403
        assert "expiring links" in response.json()["detail"]

    def test_custom_tier_with_expiring_links_may_create_them(self, client_for, upload):
        tier = Tier.objects.create(name="Links", thumbnail_heights=[100], expiring_links=True)
        client = client_for(tier)
        image = upload(client).json()

        assert client.get(f"/api/user/link/{image['id']}/?time=300").status_code == 200


def test_a_thumbnail_that_a_since_lowered_pixel_limit_forbids_making_is_404_not_500(
    uploaded, settings
):
    data = image_bytes(800, 600)
    _, image = uploaded("Premium", data)
    Image.objects.get().thumbnails.all().delete()
    settings.MAX_IMAGE_PIXELS = 1000

    thumbnail = fetch(image["thumbnails"][0]["url"])
    original = fetch(image["image"])

    assert thumbnail.status_code == 404
    assert thumbnail.json() == {"detail": "Not found."}
    assert original.status_code == 200  # the stored file needs no decoding
    assert original.body == data
