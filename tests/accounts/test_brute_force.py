"""One brute-force policy for every form that checks a password.

Failures count per (username, client address), with a higher ceiling per address; the
limit reached, that pair (or address) gets a 429 with Retry-After, even for the
right password (JSON from the API, an HTML page on the admin's and browsable API's forms). Other
addresses keep signing in.
"""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from tests.conftest import PASSWORD

LIMIT = 10  # LOGIN_FAILURE_LIMIT's default


def _json(path):
    def attempt(client, username, password):
        return client.post(path, {"username": username, "password": password}, format="json")

    return attempt


def _form(path):
    def attempt(client, username, password):
        return client.post(path, {"username": username, "password": password})

    return attempt


FORMS = {
    "api-token": _json("/api/user/token/"),
    "jwt-login": _json("/api/user/jwt-login/"),
    "admin": _form("/admin/login/"),
    "browsable-api": _form("/api-auth/login/?next=/api/user/images/"),
}


def signed_in(response) -> bool:
    """200 with a credential from the API forms, a redirect from the HTML ones (which
    answer a wrong password with the form again, 200)."""
    if response.status_code == 302:
        return "login" not in response["Location"]
    return response.status_code == 200 and response["Content-Type"] == "application/json"


@pytest.fixture
def victim(make_user) -> User:
    # A superuser, so the admin form would let them in.
    return make_user(is_staff=True, is_superuser=True)


@pytest.mark.parametrize("form", FORMS)
def test_the_right_password_is_refused_after_the_limit_of_wrong_ones(form, victim):
    attempt, client = FORMS[form], APIClient(REMOTE_ADDR="203.0.113.7")

    wrong = [attempt(client, victim.username, f"guess-{i}") for i in range(LIMIT)]
    right = attempt(client, victim.username, PASSWORD)

    assert not any(signed_in(response) for response in wrong)
    assert wrong[-1].status_code == 429  # the attempt that reaches the limit is refused too
    assert right.status_code == 429
    assert "Too many failed sign-in attempts" in right.content.decode()
    assert int(right["Retry-After"]) == 15 * 60


@pytest.mark.parametrize("form", FORMS)
def test_below_the_limit_the_right_password_signs_in(form, victim):
    attempt, client = FORMS[form], APIClient(REMOTE_ADDR="203.0.113.7")

    for i in range(LIMIT - 1):
        attempt(client, victim.username, f"guess-{i}")

    assert signed_in(attempt(client, victim.username, PASSWORD))


def test_failures_on_one_form_count_on_the_others(victim):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for i, form in zip(range(LIMIT), list(FORMS) * LIMIT, strict=False):
        FORMS[form](client, victim.username, f"guess-{i}")

    for form in FORMS:
        assert FORMS[form](client, victim.username, PASSWORD).status_code == 429, form


def test_strangers_cannot_lock_a_user_out_from_everywhere(victim):
    for address in range(10):
        stranger = APIClient(REMOTE_ADDR=f"198.51.100.{address}")
        for i in range(LIMIT + 5):
            FORMS["api-token"](stranger, victim.username, f"guess-{i}")
        assert FORMS["api-token"](stranger, victim.username, PASSWORD).status_code == 429

    at_home = APIClient(REMOTE_ADDR="192.0.2.1")
    for form in FORMS:
        assert signed_in(FORMS[form](at_home, victim.username, PASSWORD)), form


def test_one_address_spraying_usernames_hits_the_address_ceiling(settings, make_user):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    real = make_user()
    client = APIClient(REMOTE_ADDR="203.0.113.9")

    statuses = [FORMS["api-token"](client, f"someone-{i}", "guess").status_code for i in range(20)]

    assert statuses[:19] == [401] * 19
    assert statuses[19] == 429
    # From that address, even a user it never tried is refused for now...
    assert FORMS["api-token"](client, real.username, PASSWORD).status_code == 429
    # ...and from any other address that user signs in.
    other = APIClient(REMOTE_ADDR="203.0.113.10")
    assert FORMS["api-token"](other, real.username, PASSWORD).status_code == 200


def test_behind_proxies_the_client_address_is_the_one_the_proxy_saw(settings, victim):
    """NUM_PROXIES=1: the proxy appends the address it saw; what the client wrote before
    it is its own choice and does not change which counter it hits."""
    settings.NUM_PROXIES = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for i in range(LIMIT):
        attacker = APIClient(HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.50", **proxy)
        FORMS["jwt-login"](attacker, victim.username, f"guess-{i}")

    spoofing = APIClient(HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.50", **proxy)
    assert FORMS["jwt-login"](spoofing, victim.username, PASSWORD).status_code == 429
    # Everyone else comes through the same proxy, from their own address.
    user_behind_proxy = APIClient(HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    assert FORMS["jwt-login"](user_behind_proxy, victim.username, PASSWORD).status_code == 200


def test_a_success_clears_the_pairs_failures(victim):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for i in range(LIMIT - 1):
        FORMS["api-token"](client, victim.username, f"guess-{i}")
    assert FORMS["api-token"](client, victim.username, PASSWORD).status_code == 200

    for i in range(LIMIT - 1):
        FORMS["api-token"](client, victim.username, f"typo-{i}")

    assert FORMS["api-token"](client, victim.username, PASSWORD).status_code == 200


@pytest.mark.parametrize("form", ["admin", "browsable-api"])
def test_a_person_locked_out_on_an_html_form_gets_an_html_page(form, victim):
    attempt, client = FORMS[form], Client(REMOTE_ADDR="203.0.113.7")
    for i in range(LIMIT):
        attempt(client, victim.username, f"g{i}")

    response = attempt(client, victim.username, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Too many failed sign-in attempts</h1>" in page
    assert "Try again in 900 seconds." in page
    assert int(response["Retry-After"]) == 15 * 60


@pytest.mark.parametrize("form", ["api-token", "jwt-login"])
def test_the_api_answers_a_lockout_in_json(form, victim):
    attempt, client = FORMS[form], APIClient(REMOTE_ADDR="203.0.113.7")
    for i in range(LIMIT):
        attempt(client, victim.username, f"g{i}")

    response = attempt(client, victim.username, PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Too many failed sign-in attempts. Try again in 900 seconds."
    }


def test_sign_in_still_works_while_the_cache_server_is_down(make_user, request):
    user = make_user()
    request.getfixturevalue("cache_server_down")

    response = FORMS["api-token"](APIClient(), user.username, PASSWORD)

    assert response.status_code == 200


@pytest.mark.parametrize("body", [[], "text", {"username": ["a"], "password": {"x": 1}}])
def test_odd_bodies_are_refused_as_bad_requests(db, body):
    response = APIClient().post("/api/user/token/", body, format="json")

    assert response.status_code == 400


def test_signing_in_to_ones_own_account_does_not_reset_a_spray(settings, make_user):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 20
    own = make_user()
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    for i in range(19):
        FORMS["api-token"](client, f"someone-{i}", "guess")

    assert FORMS["api-token"](client, own.username, PASSWORD).status_code == 200
    assert FORMS["api-token"](client, "someone-else", "guess").status_code == 429


@pytest.mark.parametrize(
    ("remote", "forwarded"),
    [("", None), ("not-an-ip", None), ("10.0.0.2", "garbage, also-garbage"), ("10.0.0.2", ",,")],
)
def test_odd_client_addresses_are_counted_not_crashed_on(settings, victim, remote, forwarded):
    settings.NUM_PROXIES = 1
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client = APIClient(**extra)

    statuses = [FORMS["jwt-login"](client, victim.username, "wrong").status_code for _ in range(3)]

    assert statuses == [401, 401, 401]
