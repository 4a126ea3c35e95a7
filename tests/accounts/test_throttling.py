"""Password-checking endpoints are throttled per client and per username."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


@pytest.mark.parametrize("path", ["/api/user/jwt-login/", "/api/user/token/"])
def test_eleventh_attempt_in_a_minute_is_throttled(db, path):
    client = APIClient()
    statuses = [
        client.post(
            path, {"username": "victim", "password": f"guess{i}"}, format="json"
        ).status_code
        for i in range(11)
    ]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert "Retry-After" in client.post(path, {"username": "victim", "password": "x"}).headers


def test_one_username_is_protected_from_many_clients(db):
    for i in range(10):
        APIClient(REMOTE_ADDR=f"10.0.0.{i}").post(
            "/api/user/token/", {"username": "victim", "password": "guess"}, format="json"
        )

    response = APIClient(REMOTE_ADDR="10.0.1.1").post(
        "/api/user/token/", {"username": "victim", "password": "guess"}, format="json"
    )

    assert response.status_code == 429


def test_one_client_spraying_usernames_is_throttled(db):
    client = APIClient()
    statuses = [
        client.post(
            "/api/user/token/", {"username": f"user{i}", "password": "guess"}, format="json"
        ).status_code
        for i in range(11)
    ]

    assert statuses[-1] == 429


def test_sign_in_still_works_while_the_cache_server_is_down(make_user, request):
    user = make_user()
    request.getfixturevalue("cache_server_down")

    response = APIClient().post(
        "/api/user/token/", {"username": user.username, "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
