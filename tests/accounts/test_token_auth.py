"""DRF token sign-in: `Authorization: Token <key>`."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

TOKEN, IMAGES = "/api/user/token/", "/api/user/images/"


def test_token_endpoint_returns_a_token_that_authenticates(make_user):
    user = make_user()
    client = APIClient()
    response = client.post(TOKEN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(IMAGES).status_code == 200


def test_the_same_token_is_returned_on_every_sign_in(make_user):
    user = make_user()
    body = {"username": user.username, "password": PASSWORD}
    first = APIClient().post(TOKEN, body, format="json").json()["token"]
    second = APIClient().post(TOKEN, body, format="json").json()["token"]

    assert first == second


def test_bad_credentials_are_unauthorized(make_user):
    user = make_user()
    response = APIClient().post(
        TOKEN, {"username": user.username, "password": "wrong"}, format="json"
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid username or password."}


def test_unknown_token_and_malformed_header_are_unauthorized(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    assert client.get(IMAGES).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token two words")
    assert client.get(IMAGES).status_code == 401


def test_anonymous_requests_are_told_how_to_authenticate(db):
    response = APIClient().get(IMAGES)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Bearer abc.def.ghi", "Basic YWxpY2U6cHc=", "JWT x"])
def test_another_authorization_scheme_is_refused_naming_the_accepted_ones(make_user, header):
    user = make_user()
    client = APIClient()
    client.force_login(user)  # even alongside a valid session: the header is a mistake
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(IMAGES)

    assert response.status_code == 401
    detail = response.json()["detail"]
    scheme = header.split()[0]
    assert detail.startswith(f"The authorization scheme '{scheme}' is not accepted.")
    assert "Authorization: Token <key>" in detail and "jwt-login" in detail
    assert response["WWW-Authenticate"] == "Token"


def test_session_authentication_serves_the_browsable_api(make_user):
    user = make_user()
    client = APIClient()
    signed_in = client.post("/api-auth/login/", {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302

    response = client.get(IMAGES, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"/api-auth/logout/" in response.content
    assert b'name="image"' in response.content  # the upload form
