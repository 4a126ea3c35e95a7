"""Signing in with JWT kept in HttpOnly cookies."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

LOGIN, LOGOUT, REFRESH = "/api/user/jwt-login/", "/api/user/jwt-logout/", "/api/user/jwt-refresh/"
IMAGES = "/api/user/images/"


def csrf_header(client: APIClient) -> dict:
    """The header a page of this site sends with a cookie POST."""
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


@pytest.fixture
def browser():
    """A client that enforces CSRF like a real browser session would be checked."""
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def signed_in(browser, make_user):
    user = make_user("Premium")
    response = browser.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return browser


def test_login_sets_httponly_lax_secure_cookies(browser, make_user):
    user = make_user()
    response = browser.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True}
    for name in ("access_token", "refresh_token"):
        cookie = response.cookies[name]
        assert cookie.value
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["secure"] is True  # DEBUG is off
    assert response.cookies["refresh_token"]["path"] == "/api/user/"
    assert response.cookies["csrftoken"].value


def test_cookie_authenticates_requests_until_logout(signed_in):
    assert signed_in.get(IMAGES).status_code == 200

    csrf = signed_in.cookies["csrftoken"].value
    response = signed_in.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 204
    for name in ("access_token", "refresh_token"):
        deleted = response.cookies[name]
        assert deleted.value == ""
        assert deleted["max-age"] == 0
        # Same attributes as when set, so every client lets the deletion replace it.
        assert deleted["httponly"] is True
        assert deleted["secure"] is True
        assert deleted["samesite"] == "Lax"
    assert signed_in.get(IMAGES).status_code == 401


def test_a_copied_access_cookie_stops_working_after_logout(signed_in):
    copied = signed_in.cookies["access_token"].value
    csrf = signed_in.cookies["csrftoken"].value
    signed_in.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf)

    replay = APIClient()
    replay.cookies["access_token"] = copied
    response = replay.get(IMAGES)

    assert response.status_code == 401
    assert "signed out" in response.json()["detail"]


def test_logout_revokes_the_refresh_token(signed_in):
    refresh = signed_in.cookies["refresh_token"].value
    csrf = signed_in.cookies["csrftoken"].value
    signed_in.post(LOGOUT, HTTP_X_CSRFTOKEN=csrf)

    signed_in.cookies["refresh_token"] = refresh  # replay the stolen cookie
    response = signed_in.post(REFRESH, **csrf_header(signed_in))

    assert response.status_code == 401


def test_cookie_post_without_csrf_token_is_forbidden(signed_in):
    response = signed_in.post(IMAGES, {}, format="multipart")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_cookie_post_with_csrf_token_passes_the_check(signed_in):
    csrf = signed_in.cookies["csrftoken"].value
    response = signed_in.post(IMAGES, {}, format="multipart", HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 400  # past CSRF; refused only for the missing image
    assert "image" in response.json()


def test_logout_with_cookies_but_without_csrf_is_forbidden(signed_in):
    response = signed_in.post(LOGOUT)

    assert response.status_code == 403
    assert signed_in.get(IMAGES).status_code == 200


def test_refresh_issues_a_new_access_cookie(signed_in):
    old_access = signed_in.cookies["access_token"].value
    old_refresh = signed_in.cookies["refresh_token"].value

    response = signed_in.post(REFRESH, **csrf_header(signed_in))

    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert response.cookies["access_token"].value != old_access
    assert response.cookies["access_token"]["httponly"] is True
    assert signed_in.get(IMAGES).status_code == 200
    # The refresh token rotates, and the old one can no longer be used.
    signed_in.cookies["refresh_token"] = old_refresh
    assert signed_in.post(REFRESH, **csrf_header(signed_in)).status_code == 401


def test_refresh_without_cookie_is_unauthorized(browser):
    response = browser.post(REFRESH)

    assert response.status_code == 401
    assert "sign in" in response.json()["detail"]


def test_bad_credentials_answer_401_with_success_false(browser, make_user):
    user = make_user()
    response = browser.post(LOGIN, {"username": user.username, "password": "nope"}, format="json")

    assert response.status_code == 401
    assert response.json()["success"] is False
    assert "access_token" not in response.cookies


def test_missing_fields_answer_400(browser):
    response = browser.post(LOGIN, {"username": "someone"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_a_garbage_access_cookie_is_rejected(browser, make_user):
    browser.cookies["access_token"] = "not-a-jwt"

    response = browser.get(IMAGES)

    assert response.status_code == 401
