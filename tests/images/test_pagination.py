"""Lists: plain arrays, pages with limit/offset, and 400 for parameters that are not numbers."""

import pytest


@pytest.fixture
def three_images(client_for, upload):
    client = client_for("Premium")
    ids = [upload(client).json()["id"] for _ in range(3)]
    return client, ids[::-1]  # newest first, as lists are ordered


@pytest.mark.parametrize("path", ["/api/user/images/", "/api/user/thumbnails/"])
def test_without_limit_a_list_is_a_plain_array(three_images, path):
    client, _ = three_images

    assert isinstance(client.get(path).json(), list)


def test_a_page_links_to_the_next_and_previous_pages(three_images):
    client, ids = three_images

    first = client.get("/api/user/images/?limit=2").json()
    second = client.get(first["next"]).json()

    assert first["count"] == 3 and first["previous"] is None
    assert [image["id"] for image in first["results"]] == ids[:2]
    assert first["next"].startswith("http://testserver/api/user/images/?")
    assert "limit=2" in first["next"] and "offset=2" in first["next"]
    assert [image["id"] for image in second["results"]] == ids[2:]
    assert second["next"] is None
    assert client.get(second["previous"]).json()["results"] == first["results"]


def test_a_limit_over_the_maximum_is_served_as_the_maximum(three_images):
    client, ids = three_images

    page = client.get("/api/user/images/?limit=1000").json()

    assert [image["id"] for image in page["results"]] == ids


def test_an_offset_past_the_end_is_an_empty_page(three_images):
    client, _ = three_images

    page = client.get("/api/user/images/?limit=2&offset=50").json()

    assert page["results"] == [] and page["count"] == 3


@pytest.mark.parametrize("path", ["/api/user/images/", "/api/user/thumbnails/"])
@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("limit=%202", "limit"),
        ("limit=%EF%BC%93", "limit"),  # a full-width digit, which int() would accept
        ("limit=99999999999999999999999999", "limit"),
        ("limit=2&offset=-1", "offset"),
        ("limit=2&offset=x", "offset"),
        ("limit=2&offset=1e3", "offset"),
        ("limit=2&offset=99999999999999999999", "offset"),
        ("offset=-5", "offset"),
    ],
)
def test_parameters_that_are_not_whole_numbers_in_range_are_400(client_for, path, query, name):
    response = client_for("Basic").get(f"{path}?{query}")

    assert response.status_code == 400
    assert list(response.json()) == [name]
    assert name in response.json()[name][0]


def test_offset_zero_is_the_first_page(three_images):
    client, ids = three_images

    page = client.get("/api/user/images/?limit=1&offset=0").json()

    assert [image["id"] for image in page["results"]] == ids[:1]
