"""HTML pages carry a Content-Security-Policy that their own scripts satisfy; every error
body is JSON, including a POST to a media link and a failed CSRF check."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import PASSWORD


class Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external, self.inline, self.data_blocks = [], 0, 0
        self._in_inline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "script":
            return
        if attrs.get("src"):
            self.external.append(attrs["src"])
        elif attrs.get("type") == "application/json":
            self.data_blocks += 1
        else:
            self.inline += 1


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def staff(make_user):
    user = make_user(is_staff=True, is_superuser=True)
    client = Client()
    assert (
        client.post("/admin/login/", {"username": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


@pytest.fixture
def member(make_user):
    user = make_user()
    client = Client()
    assert (
        client.post(
            "/api-auth/login/", {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    return client


PAGES = {
    "swagger": ("anonymous", "/api/docs/"),
    "redoc": ("anonymous", "/api/redoc/"),
    "admin login": ("anonymous", "/admin/login/"),
    "admin": ("staff", "/admin/"),
    "admin change list": ("staff", "/admin/accounts/user/"),
    "browsable api login": ("anonymous", "/api-auth/login/"),
    "browsable api": ("member", "/api/user/images/"),
}


@pytest.mark.parametrize("page", PAGES)
def test_html_pages_run_only_same_origin_scripts_that_the_policy_allows(
    page, request, db, settings
):
    static = "/" + settings.STATIC_URL.lstrip("/")
    who, path = PAGES[page]
    client = Client() if who == "anonymous" else request.getfixturevalue(who)

    response = client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    scripts = Scripts()
    scripts.feed(response.content.decode())
    assert scripts.inline == 0, "an inline script would be blocked by the policy"
    for src in scripts.external:
        assert not re.match(r"^(https?:)?//", src), src  # same origin only
        if src.startswith(static):  # the suite runs without collectstatic
            assert finders.find(src.removeprefix(static)), src
        else:
            assert client.get(src).status_code == 200, src


def test_swagger_ui_script_gets_the_csrf_header_and_schema_url(db):
    page = Client().get("/api/docs/")
    scripts = Scripts()
    scripts.feed(page.content.decode())
    init = [src for src in scripts.external if "script" in src]

    body = b"".join(
        Client().get(init[0]).streaming_content if False else [Client().get(init[0]).content]
    )

    assert b"/api/schema/" in body


def test_a_post_to_a_media_link_is_a_json_405(db):
    response = Client(enforce_csrf_checks=True).post("/media/whatever-token")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET, HEAD"


def test_a_failed_csrf_check_is_json(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x"})

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("CSRF Failed")
