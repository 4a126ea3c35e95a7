"""OpenAPI schema, Swagger UI and ReDoc, served without any external asset."""

import re

import pytest
import yaml
from rest_framework.test import APIClient

SEED_PATHS = [
    "/api/user/jwt-login/",
    "/api/user/jwt-logout/",
    "/api/user/token/",
    "/api/user/images/",
    "/api/user/images/{id}/",
    "/api/user/thumbnails/",
    "/api/user/thumbnails/{id}/",
    "/api/user/link/{id}/",
]


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_openapi_3_with_every_seed_path(schema):
    assert schema["openapi"].startswith("3.")
    for path in [*SEED_PATHS, "/api/user/jwt-refresh/"]:
        assert path in schema["paths"], path


def test_schema_declares_cookie_jwt_and_token_schemes(schema):
    schemes = schema["components"]["securitySchemes"]

    jwt_cookie = schemes["jwtCookie"]
    assert (jwt_cookie["type"], jwt_cookie["in"], jwt_cookie["name"]) == (
        "apiKey",
        "cookie",
        "access_token",
    )
    assert "jwt-login" in jwt_cookie["description"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["tokenAuth"]["in"] == "header"


def test_schema_describes_requests_and_responses(schema):
    upload = schema["paths"]["/api/user/images/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "400"} <= set(upload["responses"])
    link = schema["paths"]["/api/user/link/{id}/"]["get"]
    assert any(p["name"] == "time" for p in link["parameters"])
    assert {"200", "400", "403", "404"} <= set(link["responses"])
    login = schema["paths"]["/api/user/jwt-login/"]["post"]
    assert login["requestBody"]["content"]["application/json"]["examples"]


def test_schema_in_yaml_and_with_lang(db):
    response = APIClient().get("/api/schema/?format=yaml&lang=en")

    assert response.status_code == 200
    assert "/api/user/images/" in yaml.safe_load(response.content)["paths"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_no_external_asset(db, path):
    response = APIClient().get(path)

    assert response.status_code == 200
    html = response.content.decode()
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert urls, "the page should reference its own assets"
    external = [u for u in urls if re.match(r"^(https?:)?//", u)]
    assert external == []
    assert "/static/drf_spectacular_sidecar/" in html


def test_lists_are_documented_as_arrays_or_pages_with_limit(schema):
    listing = schema["paths"]["/api/user/images/"]["get"]["responses"]["200"]
    ref = listing["content"]["application/json"]["schema"]["$ref"]
    shapes = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["oneOf"]

    assert shapes[0]["type"] == "array"
    assert set(shapes[1]["properties"]) == {"count", "next", "previous", "results"}


def test_schema_generates_without_warnings_and_validates(db, tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yaml"))
