"""The per-user response cache never leaks and never goes stale after a write."""

from rest_framework.test import APIClient

from accounts.models import Tier
from tests.conftest import image_bytes, upload_file


def post_image(client):
    return client.post(
        "/api/user/images/", {"image": upload_file(image_bytes())}, format="multipart"
    )


def test_repeated_reads_are_served_from_the_cache(client_for):
    client = client_for("Premium")
    post_image(client)

    first = client.get("/api/user/images/")
    second = client.get("/api/user/images/")

    assert "X-Cache" not in first
    assert second["X-Cache"] == "hit"
    assert second.json() == first.json()


def test_two_users_alternating_never_see_each_others_data(client_for):
    alice, bob = client_for("Premium"), client_for("Premium")
    alice_image = post_image(alice).json()
    bob_image = post_image(bob).json()

    for _ in range(3):
        assert [i["id"] for i in alice.get("/api/user/images/").json()] == [alice_image["id"]]
        assert [i["id"] for i in bob.get("/api/user/images/").json()] == [bob_image["id"]]
        assert alice.get(f"/api/user/images/{bob_image['id']}/").status_code == 404
        assert bob.get(f"/api/user/images/{alice_image['id']}/").status_code == 404


def test_anonymous_requests_never_read_or_fill_the_cache(client_for, rf):
    """Below authentication: even a view open to anyone would not share cached answers."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request
    from rest_framework.response import Response

    from imageapi.renderers import ORJSONRenderer
    from images.api.cache import cached_answer

    alice = client_for("Premium")
    post_image(alice)
    alice.get("/api/user/images/")  # alice's answer for this URL is now cached
    request = Request(rf.get("/api/user/images/"))
    request.user = AnonymousUser()
    request.accepted_renderer = ORJSONRenderer()
    built = []

    def build():
        built.append(1)
        return Response(["anonymous answer"])

    first = cached_answer(request, build)
    second = cached_answer(request, build)

    assert built == [1, 1]
    assert first.data == second.data == ["anonymous answer"]


def test_a_user_sees_their_upload_and_deletion_at_once(client_for):
    client = client_for("Premium")
    assert client.get("/api/user/images/").json() == []

    image = post_image(client).json()
    assert [i["id"] for i in client.get("/api/user/images/").json()] == [image["id"]]
    assert len(client.get("/api/user/thumbnails/").json()) == 2

    client.delete(f"/api/user/images/{image['id']}/")
    assert client.get("/api/user/images/").json() == []
    assert client.get("/api/user/thumbnails/").json() == []


def test_a_tier_change_shows_at_once(client_for):
    client = client_for("Premium")
    image = post_image(client).json()
    client.get(f"/api/user/images/{image['id']}/")

    Tier.objects.filter(name="Premium").update(original_link=False)

    assert client.get(f"/api/user/images/{image['id']}/").json()["image"] is None


def test_the_api_keeps_answering_when_the_cache_server_is_down(client_for, request):
    client = client_for("Premium")
    request.getfixturevalue("cache_server_down")

    image = post_image(client)
    listing = client.get("/api/user/images/")

    assert image.status_code == 201
    assert listing.status_code == 200
    assert [i["id"] for i in listing.json()] == [image.json()["id"]]


def test_a_thumbnail_made_on_first_fetch_shows_in_the_list_at_once(client_for, anonymous):
    client = client_for("Premium")
    image = post_image(client).json()
    Tier.objects.filter(name="Premium").update(thumbnail_heights=[200, 400, 600])
    image = client.get(f"/api/user/images/{image['id']}/").json()
    assert [t["height"] for t in client.get("/api/user/thumbnails/").json()] == [200, 400]

    url = image["thumbnails"][2]["url"].split("testserver", 1)[1]
    assert anonymous.get(url).status_code == 200

    assert [t["height"] for t in client.get("/api/user/thumbnails/").json()] == [200, 400, 600]


def test_an_admin_delete_empties_the_users_cached_list_at_once(client_for, admin_client):
    client = client_for("Premium")
    image = post_image(client).json()
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"

    response = admin_client.post(
        "/admin/images/image/",
        {"action": "delete_selected", "_selected_action": [image["id"]], "post": "yes"},
    )

    assert response.status_code == 302
    after = client.get("/api/user/images/")
    assert "X-Cache" not in after
    assert after.json() == []


def test_cached_answers_never_cross_renderers(client_for):
    client = client_for("Premium")
    post_image(client)
    client.get("/api/user/images/")  # JSON, now cached

    page = client.get("/api/user/images/", HTTP_ACCEPT="text/html")

    assert page["Content-Type"].startswith("text/html")
    assert "X-Cache" not in page


def test_a_deleted_token_stops_working_at_once_even_with_cached_answers(client_for):
    from rest_framework.authtoken.models import Token

    client = client_for("Premium")
    post_image(client)
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"

    Token.objects.filter(user=client.user).delete()

    assert client.get("/api/user/images/").status_code == 401


def test_a_deactivated_user_is_refused_even_with_cached_answers(client_for):
    client = client_for("Premium")
    post_image(client)
    client.get("/api/user/images/")

    client.user.is_active = False
    client.user.save()

    assert client.get("/api/user/images/").status_code == 401


def test_answers_are_gzipped_for_clients_that_accept_it_hit_or_miss(client_for):
    import gzip
    import json

    client = client_for("Premium")
    for _ in range(3):
        post_image(client)
    plain = client.get("/api/user/images/").json()

    miss = client.get("/api/user/images/?limit=10", HTTP_ACCEPT_ENCODING="gzip, br")
    hit = client.get("/api/user/images/?limit=10", HTTP_ACCEPT_ENCODING="gzip, br")

    assert "X-Cache" not in miss and hit["X-Cache"] == "hit"
    for response in (miss, hit):
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        assert json.loads(gzip.decompress(response.content))["results"] == plain


def test_uncached_json_is_gzipped_but_media_never_are(uploaded, anonymous, settings):
    settings.API_CACHE_SECONDS = 0
    client, image = uploaded("Premium", image_bytes(1200, 900))

    answer = client.get("/api/user/images/", HTTP_ACCEPT_ENCODING="gzip")
    media = anonymous.get(image["thumbnails"][1]["url"], HTTP_ACCEPT_ENCODING="gzip")

    assert answer["Content-Encoding"] == "gzip"
    assert media.status_code == 200
    assert not media.has_header("Content-Encoding")


# --- Hits skip authentication: every event that ends access must still end it ---------


def jwt_client(make_user, client, tier: str = "Premium"):
    from tests.conftest import PASSWORD

    user = make_user(tier)
    signed_in = client.post(
        "/api/user/jwt-login/",
        {"username": user.username, "password": PASSWORD},
        content_type="application/json",
    )
    assert signed_in.status_code == 200
    client.user = user
    return client


def test_a_jwt_sign_in_that_ended_is_refused_even_with_cached_answers(make_user, client):
    client = jwt_client(make_user, client)
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"
    stolen_cookie = client.cookies["access_token"].value

    client.post("/api/user/jwt-logout/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    client.cookies["access_token"] = stolen_cookie  # a copy kept from before the logout

    assert client.get("/api/user/images/").status_code == 401


def test_a_changed_password_ends_cached_answers_for_every_credential(client_for):
    client = client_for("Premium")
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"

    client.user.set_password("another-long-passphrase")
    client.user.save()

    assert client.get("/api/user/images/").status_code == 401


def test_a_bulk_deactivation_is_refused_even_with_cached_answers(client_for):
    from accounts.models import User

    client = client_for("Premium")
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"

    User.objects.filter(pk=client.user.pk).update(is_active=False)

    assert client.get("/api/user/images/").status_code == 401


def test_a_deleted_user_is_refused_even_with_cached_answers(client_for):
    client = client_for("Premium")
    client.get("/api/user/images/")
    assert client.get("/api/user/images/")["X-Cache"] == "hit"

    client.user.delete()

    assert client.get("/api/user/images/").status_code == 401


def test_moving_a_user_to_another_tier_shows_at_once(client_for):
    client = client_for("Premium")
    image = post_image(client).json()
    client.get(f"/api/user/images/{image['id']}/")

    client.user.tier = Tier.objects.get(name="Basic")
    client.user.save()

    answer = client.get(f"/api/user/images/{image['id']}/")
    assert "X-Cache" not in answer
    assert answer.json()["image"] is None and len(answer.json()["thumbnails"]) == 1


def test_a_flood_of_forged_tokens_is_refused_and_stores_nothing(client_for, monkeypatch):
    import secrets

    from django.core.cache import cache

    owner = client_for("Premium")
    owner.get("/api/user/images/")
    stored = []
    for method in ("set", "add", "set_many"):
        original = getattr(cache, method)

        def spy(*args, _original=original, **kwargs):
            stored.append(args[0])
            return _original(*args, **kwargs)

        monkeypatch.setattr(cache, method, spy)
    forger = APIClient()

    for _ in range(50):
        forger.credentials(HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}")
        assert forger.get("/api/user/images/").status_code == 401

    assert stored == []
    assert owner.get("/api/user/images/")["X-Cache"] == "hit"  # nothing real was evicted


def test_a_hit_replays_the_answer_headers_but_never_its_cookies(make_user, client):
    client = jwt_client(make_user, client)
    miss = client.get("/api/user/images/")
    hit = client.get("/api/user/images/")

    assert hit["X-Cache"] == "hit"
    assert hit["Content-Type"] == miss["Content-Type"] == "application/json"
    assert "Accept" in hit["Vary"] and "Accept-Encoding" in hit["Vary"]
    assert not hit.cookies
