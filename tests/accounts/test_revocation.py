"""Credentials stop working when users expect: logout ends the whole sign-in; a new
password or a deactivation ends every sign-in of the user; cookie POSTs need CSRF."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import ActiveLogin
from accounts.tasks import flush_expired_tokens
from tests.conftest import PASSWORD

LOGIN, LOGOUT, REFRESH = "/api/user/jwt-login/", "/api/user/jwt-logout/", "/api/user/jwt-refresh/"
IMAGES = "/api/user/images/"


def csrf_header(client: APIClient) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def jwt_sign_in(user) -> APIClient:
    browser = APIClient(enforce_csrf_checks=True)
    response = browser.post(LOGIN, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return browser


def with_cookie(name: str, value: str) -> APIClient:
    replay = APIClient(enforce_csrf_checks=True)
    replay.cookies[name] = value
    return replay


@pytest.fixture
def user(make_user):
    return make_user("Premium")


def test_logout_ends_every_access_token_the_sign_in_issued(user):
    browser = jwt_sign_in(user)
    first_access = browser.cookies["access_token"].value
    assert browser.post(REFRESH, **csrf_header(browser)).status_code == 200
    second_access = browser.cookies["access_token"].value
    assert with_cookie("access_token", first_access).get(IMAGES).status_code == 200

    assert browser.post(LOGOUT, **csrf_header(browser)).status_code == 204

    for access in (first_access, second_access):
        response = with_cookie("access_token", access).get(IMAGES)
        assert response.status_code == 401
        assert "signed out" in response.json()["detail"]


def test_logout_ends_the_refresh_chain(user):
    browser = jwt_sign_in(user)
    first_refresh = browser.cookies["refresh_token"].value
    browser.post(REFRESH, **csrf_header(browser))
    latest_refresh = browser.cookies["refresh_token"].value
    csrf = csrf_header(browser)

    browser.post(LOGOUT, **csrf)

    for refresh in (first_refresh, latest_refresh):
        replay = with_cookie("refresh_token", refresh)
        replay.cookies["csrftoken"] = csrf["HTTP_X_CSRFTOKEN"]
        assert replay.post(REFRESH, **csrf).status_code == 401


def test_logout_leaves_the_users_other_sign_ins_alone(user):
    laptop, phone = jwt_sign_in(user), jwt_sign_in(user)

    laptop.post(LOGOUT, **csrf_header(laptop))

    assert laptop.get(IMAGES).status_code == 401
    assert phone.get(IMAGES).status_code == 200


def _every_credential(user) -> dict[str, APIClient]:
    browser = jwt_sign_in(user)
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    session = APIClient()
    signed_in = session.post("/api-auth/login/", {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    refresh = with_cookie("refresh_token", browser.cookies["refresh_token"].value)
    refresh.cookies["csrftoken"] = browser.cookies["csrftoken"].value
    credentials = {
        "jwt access": with_cookie("access_token", browser.cookies["access_token"].value),
        "drf token": token,
        "session": session,
    }
    for name, client in credentials.items():
        assert client.get(IMAGES).status_code == 200, name
    return {**credentials, "jwt refresh": refresh, "_csrf": csrf_header(browser)}


def _assert_all_refused(credentials: dict) -> None:
    csrf = credentials.pop("_csrf")
    assert credentials.pop("jwt refresh").post(REFRESH, **csrf).status_code == 401
    for name, client in credentials.items():
        assert client.get(IMAGES).status_code in (401, 403), name


def test_a_new_password_from_the_command_line_ends_every_sign_in(user):
    credentials = _every_credential(user)

    call_command("create_user", user.username, "--password", "a-brand-new-password-42")

    _assert_all_refused(credentials)
    assert not Token.objects.filter(user=user).exists()


def test_a_new_password_set_in_code_ends_every_sign_in(user):
    credentials = _every_credential(user)

    user.set_password("another-new-password-42")
    user.save()

    _assert_all_refused(credentials)


def test_deactivation_ends_every_sign_in(user):
    credentials = _every_credential(user)

    user.is_active = False
    user.save()

    _assert_all_refused(credentials)


def test_other_saves_keep_the_user_signed_in(user):
    browser = jwt_sign_in(user)

    user.email = "new@example.com"
    user.save()

    assert browser.get(IMAGES).status_code == 200


def test_refresh_needs_the_csrf_token(user):
    browser = jwt_sign_in(user)

    assert browser.post(REFRESH).status_code == 403
    assert browser.post(REFRESH, **csrf_header(browser)).status_code == 200


def test_a_cross_site_form_cannot_sign_a_browser_in(user):
    browser = APIClient(enforce_csrf_checks=True)
    form = {"username": user.username, "password": PASSWORD}

    from_elsewhere = browser.post(LOGIN, form, HTTP_ORIGIN="https://evil.example")
    without_origin = browser.post(LOGIN, form)  # an old browser: no Origin, no token

    assert from_elsewhere.status_code == 403
    assert without_origin.status_code == 403
    assert "CSRF" in without_origin.json()["detail"]
    assert "access_token" not in browser.cookies


def test_json_sign_in_from_another_origin_is_refused(user):
    response = APIClient(enforce_csrf_checks=True).post(
        LOGIN,
        {"username": user.username, "password": PASSWORD},
        format="json",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403


def test_same_site_pages_and_scripts_sign_in(user, settings):
    credentials = {"username": user.username, "password": PASSWORD}
    script = APIClient(enforce_csrf_checks=True)
    assert script.post(LOGIN, credentials, format="json").status_code == 200

    page = APIClient(enforce_csrf_checks=True, HTTP_HOST="images.example")
    settings.ALLOWED_HOSTS = ["images.example"]
    page.get("/api-auth/login/")  # the csrftoken cookie, as a page of the site gets it
    token = page.cookies["csrftoken"].value
    response = page.post(
        LOGIN, credentials, HTTP_ORIGIN="http://images.example", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


def test_refresh_is_throttled_per_address(user):
    browser = jwt_sign_in(user)

    statuses = [browser.post(REFRESH, **csrf_header(browser)).status_code for _ in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_expired_sign_ins_and_refresh_tokens_are_flushed(user):
    jwt_sign_in(user)
    live = jwt_sign_in(user)
    past = timezone.now() - timedelta(seconds=1)
    first = ActiveLogin.objects.order_by("created_at").first()
    ActiveLogin.objects.filter(pk=first.pk).update(expires_at=past)
    expired_token = OutstandingToken.objects.order_by("created_at").first()
    OutstandingToken.objects.filter(pk=expired_token.pk).update(expires_at=past)
    BlacklistedToken.objects.create(token=expired_token)

    flushed = flush_expired_tokens()

    assert flushed == 2
    assert ActiveLogin.objects.count() == 1
    assert not OutstandingToken.objects.filter(pk=expired_token.pk).exists()
    assert not BlacklistedToken.objects.exists()
    assert live.get(IMAGES).status_code == 200
