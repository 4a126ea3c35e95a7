"""OpenAPI schema, Swagger UI and ReDoc, served without any external asset."""

import re

import pytest
import yaml
from rest_framework.test import APIClient

from images.processing.formats import MIME_TYPES, SOURCE_FORMATS

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


PROTECTED_ERRORS = {"401", "403", "429"}


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_protected_operation_documents_the_errors_it_can_answer(schema):
    protected = [
        (path, method, op)
        for path, method, op in operations(schema)
        if {} not in op.get("security", [{}])
    ]

    assert len(protected) >= 9
    for path, method, op in protected:
        answers = set(op["responses"])
        assert answers >= PROTECTED_ERRORS, (path, method)
        assert "Retry-After" in op["responses"]["429"]["headers"]
        # 404 only where an object is named; 413 only where a body is sent.
        assert ("404" in answers) == ("{id}" in path), (path, method)
        assert ("413" in answers) == ("requestBody" in op), (path, method)
    upload = schema["paths"]["/api/user/images/"]["post"]["responses"]
    rate_fields = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
    assert rate_fields <= set(upload["429"]["headers"])
    assert rate_fields <= set(upload["201"]["headers"])


@pytest.mark.parametrize("path", ["/api/user/images/", "/api/user/thumbnails/"])
def test_a_bad_page_is_a_documented_400_with_its_field(schema, path):
    listing = schema["paths"][path]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")

    assert limit["schema"]["minimum"] == 1
    bad = listing["responses"]["400"]["content"]["application/json"]
    assert bad["schema"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}
    assert "limit" in next(iter(bad["examples"].values()))["value"]


def test_the_upload_documents_its_field_errors_its_415_and_real_image_types(schema):
    upload = schema["paths"]["/api/user/images/"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]

    accepted = ", ".join(MIME_TYPES[name] for name in SOURCE_FORMATS)
    assert form["encoding"]["image"]["contentType"] == accepted
    assert (
        schema["components"]["schemas"]["ImageUploadRequest"]["properties"]["image"]["minLength"]
        == 1
    )
    field_errors = upload["responses"]["400"]["content"]["application/json"]
    assert "additionalProperties" in field_errors["schema"] and field_errors["examples"]
    unsupported = upload["responses"]["415"]["content"]["application/json"]
    assert unsupported["schema"] == {"$ref": "#/components/schemas/Detail"}
    assert unsupported["examples"]


def test_path_ids_are_integers_everywhere(schema):
    """Everywhere but staged uploads, whose ids are UUIDs (unguessable handles)."""
    numeric, uuids = [], []
    for path, _, op in operations(schema):
        for parameter in op.get("parameters", []):
            if parameter["in"] == "path":
                staged = path.startswith("/api/user/uploads/")
                (uuids if staged else numeric).append(parameter["schema"])

    assert len(numeric) >= 5
    assert all(s == {"type": "integer", "minimum": 1} for s in numeric), numeric
    assert len(uuids) == 2
    assert all(s == {"type": "string", "format": "uuid"} for s in uuids), uuids


@pytest.mark.parametrize("path", ["/api/user/images/", "/api/user/thumbnails/"])
def test_list_examples_show_an_item_in_each_shape(schema, path):
    examples = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
        "examples"
    ]

    assert len(examples["List"]["value"]) == 1 and examples["List"]["value"][0]
    page = examples["Page"]["value"]
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["results"] == examples["List"]["value"]


def test_the_image_list_example_is_the_images_own_example(schema):
    listing = schema["paths"]["/api/user/images/"]["get"]["responses"]["200"]
    detail = schema["paths"]["/api/user/images/{id}/"]["get"]["responses"]["200"]
    item = listing["content"]["application/json"]["examples"]["List"]["value"][0]
    own = next(iter(detail["content"]["application/json"]["examples"].values()))["value"]

    assert item == own


def test_the_token_field_says_what_to_type(schema):
    description = schema["components"]["securitySchemes"]["tokenAuth"]["description"]

    assert "Token <key>" in description


def test_me_is_documented(schema):
    me = schema["paths"]["/api/user/me/"]["get"]["responses"]["200"]
    assert me["content"]["application/json"]["schema"]["$ref"].endswith("/Me")


def test_swagger_ui_hides_the_cookie_schemes_it_cannot_use(db):
    page = APIClient().get("/api/docs/")
    script = APIClient().get("/api/docs/?script=").content.decode()

    assert 'src="/api/docs/?script="' in page.content.decode()  # a file, not inline
    assert 'scheme.get("in") !== "cookie"' in script
    assert '"validatorUrl": null' in script
    assert "default-src 'self'" in page["Content-Security-Policy"]


def test_redoc_page_forbids_other_hosts_and_has_a_favicon(db):
    response = APIClient().get("/api/redoc/")

    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert "http" not in response["Content-Security-Policy"]  # no other host anywhere
    html = response.content.decode()
    assert 'rel="icon"' in html
    assert "redoc-offline.js" in html


def test_the_favicon_is_served_where_browsers_look(db):
    from django.contrib.staticfiles import finders

    response = APIClient().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    assert finders.find("favicon.svg")  # what the docs pages link to


@pytest.mark.parametrize("path", ["/api/", "/api/user/"])
def test_the_api_roots_point_to_the_docs_the_schema_and_every_endpoint(db, path):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-read-here")

    response = client.get(path)

    assert response.status_code == 200
    root = response.json()
    assert root["docs"] == "http://testserver/api/docs/"
    assert root["schema"] == "http://testserver/api/schema/"
    assert root["redoc"] == "http://testserver/api/redoc/"
    assert root["endpoints"]["images"] == "http://testserver/api/user/images/"
    assert root["endpoints"]["token"] == "http://testserver/api/user/token/"
    assert root["endpoints"]["expiring-link"].endswith("/api/user/link/{id}/?time={seconds}")


def test_the_api_roots_are_not_part_of_the_schema(schema):
    assert "/api/" not in schema["paths"] and "/api/user/" not in schema["paths"]
