"""List endpoints cost the same number of SQL queries at 1 and at 50 images."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.models import Image, Thumbnail
from tests.conftest import PASSWORD


def make_images(user, count: int) -> None:
    for n in range(count):
        image = Image.objects.create(
            owner=user,
            key=f"{user.pk:04d}{n:028d}",
            file=f"originals/x{n}.jpg",
            width=800,
            height=600,
            format="JPEG",
            thumbnail_format="JPEG",
            size=1000,
            sha256="0" * 64,
        )
        for height in (200, 400):
            Thumbnail.objects.create(
                image=image,
                height=height,
                format="JPEG",
                file=f"thumbnails/x{n}-{height}.jpg",
                width=height * 4 // 3,
                actual_height=height,
                size=100,
            )


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize(
    "path", ["/api/user/images/", "/api/user/thumbnails/", "/api/user/images/?limit=100"]
)
def test_list_query_count_does_not_grow_with_the_list(client_for, settings, path):
    settings.API_CACHE_SECONDS = 0  # measure the real work, not a cache hit
    one, many = client_for("Premium"), client_for("Premium")
    make_images(one.user, 1)
    make_images(many.user, 50)

    assert queries_for(one, path) == queries_for(many, path)
    assert (
        len(many.get(path).json() if "limit" not in path else many.get(path).json()["results"])
        >= 50
    )


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@pytest.mark.django_db(transaction=True)
def test_an_upload_costs_at_most_eight_queries(client_for, upload):
    """Counted as a deployment runs them (no test transaction around the request).

    Authentication, the early quota check, the locked quota claim with the upload log
    and the image row, and the thumbnails' rows; transactions add BEGIN and COMMIT.
    """
    client = client_for("Premium")

    with CaptureQueriesContext(connection) as ctx:
        response = upload(client)

    assert response.status_code == 201
    statements = [q["sql"] for q in ctx.captured_queries]
    data = [sql for sql in statements if not sql.upper().startswith(TRANSACTION_CONTROL)]
    assert len(data) <= 8, data
    assert len(statements) <= 12, statements


def test_fetching_a_made_thumbnail_costs_one_query(uploaded, anonymous):
    _, image = uploaded("Premium")
    url = image["thumbnails"][1]["url"]

    with CaptureQueriesContext(connection) as ctx:
        response = anonymous.get(url)

    assert response.status_code == 200
    assert len(ctx) == 1, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("path", ["/api/user/images/", "/api/user/thumbnails/?limit=2"])
def test_a_cache_hit_costs_no_query_at_all(client_for, path):
    client = client_for("Premium")
    make_images(client.user, 5)
    client.get(path)

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)

    assert response["X-Cache"] == "hit"
    assert len(ctx) == 0, [q["sql"] for q in ctx.captured_queries]


def test_a_jwt_cookie_hit_costs_no_query_at_all(make_user, client):
    make_user("Premium", username="jwt-user")
    signed_in = client.post(
        "/api/user/jwt-login/",
        {"username": "jwt-user", "password": PASSWORD},
        content_type="application/json",
    )
    assert signed_in.status_code == 200
    client.get("/api/user/images/")

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/user/images/")

    assert response["X-Cache"] == "hit"
    assert len(ctx) == 0, [q["sql"] for q in ctx.captured_queries]
