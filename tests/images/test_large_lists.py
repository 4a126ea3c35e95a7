"""Large accounts: the whole list is streamed in keyset chunks, and cursor pages are the
way through it; both give every row once, in order, whatever the account's size."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.api import streaming
from tests.images.conftest import read_body
from tests.images.test_queries import make_images


@pytest.fixture
def small_chunks(monkeypatch):
    """Answers of up to 2 rows; longer lists stream 2 rows, then chunks of 3."""
    monkeypatch.setattr(streaming, "ANSWER_ROWS", 2)
    monkeypatch.setattr(streaming, "CHUNK_ROWS", 3)


def whole(response) -> list:
    return json.loads(read_body(response))


@pytest.mark.parametrize(
    ("path", "per_image"), [("/api/user/images/", 1), ("/api/user/thumbnails/", 2)]
)
def test_a_list_longer_than_a_chunk_is_streamed_with_every_row_once_in_order(
    client_for, small_chunks, path, per_image
):
    client = client_for("Premium")
    make_images(client.user, 4)  # 4 images, 8 thumbnails: several chunks
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        rows = whole(response)
    queries = [q["sql"] for q in ctx.captured_queries]

    assert response.streaming and response["Content-Type"] == "application/json"
    assert len(rows) == 4 * per_image
    assert len({row["id"] for row in rows}) == len(rows)
    assert rows == whole(client.get(path, {"limit": 100}))["results"]  # same order as pages
    # The first answer's rows (2, read as 3 to see that more follow), then chunks of 3
    # (and one more query that finds nothing after a full last chunk).
    chunk_queries = [sql for sql in queries if sql.rstrip().endswith("LIMIT 3")]
    assert len(chunk_queries) == 1 + (len(rows) - 2) // 3 + 1


def test_a_list_of_one_chunk_is_an_ordinary_answer_and_is_cached(client_for, small_chunks):
    client = client_for("Premium")
    make_images(client.user, 2)

    first = client.get("/api/user/images/")
    second = client.get("/api/user/images/")

    assert not first.streaming and len(first.json()) == 2
    assert second["X-Cache"] == "hit"


def test_a_streamed_list_is_never_cached(client_for, small_chunks):
    client = client_for("Premium")
    make_images(client.user, 5)
    whole(client.get("/api/user/images/"))

    again = client.get("/api/user/images/")

    assert again.streaming and "X-Cache" not in again
    assert len(whole(again)) == 5


def test_an_empty_list_is_an_empty_array(client_for, small_chunks):
    assert client_for("Premium").get("/api/user/images/").json() == []


@pytest.mark.parametrize(
    ("path", "per_image"), [("/api/user/images/", 1), ("/api/user/thumbnails/", 2)]
)
def test_cursor_pages_walk_the_list_once_in_order(client_for, path, per_image):
    client = client_for("Premium")
    make_images(client.user, 5)
    expected = [row["id"] for row in client.get(path).json()]

    seen, url, pages = [], f"{path}?cursor=&limit=2", 0
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url, pages = page["next"], pages + 1

    assert seen == expected and len(seen) == 5 * per_image
    assert pages == -(-len(seen) // 2)


def test_rows_added_while_paging_do_not_shift_the_pages(client_for):
    client = client_for("Premium")
    make_images(client.user, 4)
    first = client.get("/api/user/images/?cursor=&limit=2").json()
    expected_rest = [row["id"] for row in client.get("/api/user/images/").json()][2:]

    make_images(client.user, 0)  # nothing, then a newer image:
    from images.models import Image

    newest = Image.objects.filter(owner=client.user).first()
    Image.objects.create(
        owner=client.user,
        key="f" * 32,
        file="originals/new.jpg",
        width=10,
        height=10,
        format="JPEG",
        thumbnail_format="JPEG",
        size=1,
        sha256="0" * 64,
    )
    rest = client.get(first["next"]).json()

    assert [row["id"] for row in rest["results"]] == expected_rest[:2]
    assert newest is not None


@pytest.mark.parametrize("cursor", ["garbage", "Zm9v", "%00", "x" * 5000, "cD1nYXJiYWdl"])
def test_a_cursor_that_is_not_ours_is_400(client_for, cursor):
    client = client_for("Premium")
    make_images(client.user, 3)

    response = client.get("/api/user/images/", {"cursor": cursor})

    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_cursor_with_a_forged_position_is_400_not_a_server_error(client_for):
    """A cursor's position reaches SQL: only signed ones (ours) are read."""
    from base64 import b64encode
    from urllib.parse import parse_qs, urlsplit

    client = client_for("Premium")
    make_images(client.user, 3)
    next_link = client.get("/api/user/images/?cursor=&limit=1").json()["next"]
    token, signature = parse_qs(urlsplit(next_link).query)["cursor"][0].rsplit(":", 1)
    forged = b64encode(b"p=not-a-date").decode()

    response = client.get("/api/user/images/", {"cursor": f"{forged}:{signature}"})

    assert response.status_code == 400
    assert token != forged


@pytest.mark.parametrize("limit", ["0", "-1", "x", "1" * 30])
def test_a_bad_page_size_with_a_cursor_is_400(client_for, limit):
    response = client_for("Premium").get("/api/user/images/", {"cursor": "", "limit": limit})

    assert response.status_code == 400
    assert "limit" in response.json()


def test_a_streamed_list_is_gzipped_as_it_streams(client_for, small_chunks):
    import gzip

    client = client_for("Premium")
    make_images(client.user, 5)

    response = client.get("/api/user/images/", HTTP_ACCEPT_ENCODING="gzip")

    assert response.streaming and response["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(b"".join(response.streaming_content)))) == 5
