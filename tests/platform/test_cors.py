"""CORS: listed origins may call the API with credentials; media answers every origin."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD, image_bytes, upload_file
from tests.images.conftest import fetch

APP = "https://app.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture
def app_listed(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]


def test_no_origin_is_allowed_by_default(db, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []

    response = APIClient().get("/api/user/images/", HTTP_ORIGIN=APP)

    assert "Access-Control-Allow-Origin" not in response


def test_a_listed_origin_may_read_answers_with_credentials(client_for, app_listed):
    response = client_for("Basic").get("/api/user/images/", HTTP_ORIGIN=APP)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert response["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in response["Vary"].lower()


def test_an_unlisted_origin_gets_no_cors_headers(client_for, app_listed):
    response = client_for("Basic").get("/api/user/images/", HTTP_ORIGIN=OTHER)

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response


def test_a_listed_origin_passes_the_preflight_of_an_upload(db, app_listed):
    response = APIClient().options(
        "/api/user/images/",
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, x-csrftoken",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "x-csrftoken" in allowed


def test_an_unlisted_origin_fails_the_preflight(db, app_listed):
    response = APIClient().options(
        "/api/user/images/",
        HTTP_ORIGIN=OTHER,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert "Access-Control-Allow-Origin" not in response


def test_a_listed_origin_can_read_the_rate_limit_fields(client_for, upload, app_listed):
    client = client_for("Basic")
    client.user.tier.uploads_per_hour = 1
    client.user.tier.save()
    upload(client)

    response = client.post(
        "/api/user/images/",
        {"image": upload_file(image_bytes())},
        format="multipart",
        HTTP_ORIGIN=APP,
    )

    assert response.status_code == 429
    exposed = response["Access-Control-Expose-Headers"]
    assert "Retry-After" in exposed and "RateLimit-Remaining" in exposed


def test_cookie_sign_in_from_a_listed_origin_sets_cookies_it_may_use(db, make_user, app_listed):
    user = make_user("Basic")

    response = APIClient().post(
        "/api/user/jwt-login/",
        {"username": user.username, "password": PASSWORD},
        format="json",
        HTTP_ORIGIN=APP,
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Credentials"] == "true"


class TestMedia:
    def test_thumbnails_and_originals_answer_every_origin(self, client_for, upload):
        image = upload(client_for("Premium")).json()
        for url in [image["image"], image["thumbnails"][0]["url"]]:
            response = fetch(url, HTTP_ORIGIN=OTHER)

            assert response.status_code == 200
            assert response["Access-Control-Allow-Origin"] == "*"
            assert "Access-Control-Allow-Credentials" not in response
            assert response["Cross-Origin-Resource-Policy"] == "cross-origin"

    def test_a_broken_link_says_why_to_every_origin(self, db):
        response = APIClient().get("/media/not-a-signed-link", HTTP_ORIGIN=OTHER)

        assert response.status_code == 404
        assert response["Access-Control-Allow-Origin"] == "*"
