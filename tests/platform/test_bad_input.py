"""Malformed requests get a clear 4xx in DRF's JSON shape, never a 5xx."""

import pytest
from rest_framework.test import APIClient

from images.delivery import links


@pytest.fixture
def client(client_for):
    return client_for("Enterprise")


def test_malformed_multipart_body_is_400(client):
    response = client.generic(
        "POST",
        "/api/user/images/",
        b"--nope\r\nthis is not multipart",
        content_type="multipart/form-data; boundary=",
    )

    assert response.status_code == 400
    assert "detail" in response.json()


def test_malformed_content_length_is_400(client):
    response = client.get("/api/user/images/", CONTENT_LENGTH="lots")

    assert response.status_code == 400
    assert response.json()["detail"] == "Malformed Content-Length header."


def test_malformed_json_to_sign_in_is_400(db):
    response = APIClient().generic(
        "POST", "/api/user/token/", b'{"username": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/user/token/", "/api/user/jwt-login/"])
@pytest.mark.parametrize("body", [b"[]", b'["username", "password"]', b"42", b"null", b'"x"'])
def test_sign_in_with_a_json_body_that_is_not_an_object_is_400(db, path, body):
    response = APIClient().generic("POST", path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()


def test_unacceptable_accept_header_is_406(client):
    response = client.get("/api/user/images/", HTTP_ACCEPT="application/x-nothing")

    assert response.status_code == 406


@pytest.mark.parametrize(
    "header",
    ["Token", "Token a b", "Bearer", "Basic !!!", "Token \x00", "Token " + "a" * 5000],
)
def test_malformed_authorization_headers_are_401(db, header):
    response = APIClient().get("/api/user/images/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "if_none_match", ['"', "*", 'W/"x", garbage', "\x7f\x7f", '"' + "x" * 10000 + '"']
)
def test_odd_if_none_match_headers_do_not_break_delivery(uploaded_image_url, db, if_none_match):
    response = APIClient().get(uploaded_image_url, HTTP_IF_NONE_MATCH=if_none_match)

    assert response.status_code in (200, 304)


@pytest.fixture
def uploaded_image_url(client, upload):
    body = upload(client).json()
    return body["thumbnails"][0]["url"].split("testserver", 1)[1]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a" * 5000,
        "%00",
        "eyJrIjoiMCJ9:",
        ":::::",
        links.thumbnail_path("0" * 32, 200).rsplit("/", 1)[1] + "x",
        links.thumbnail_path("0" * 32, 200).rsplit("/", 1)[1][:-1],
    ],
)
def test_junk_media_tokens_are_404(db, token):
    response = APIClient().get(f"/media/{token}")

    assert response.status_code == 404
