"""The HTTP section of `make bench` measures what it says, on a tiny scale.

Both servers really run (`make run`'s waitress, gunicorn with two sync workers and a
private Redis) against one seeded data dir; the figures are not judged here, only that
every target was served as the section claims: the uncached URL gets the same full list,
connections are kept alive where the server allows, and the full list of each scale
size was read whole.
"""

import shutil

import pytest

from bench import over_http
from imageapi.compression import RANDOM_BYTES

IMAGES = 20
SIZES = (30, 60)

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="the section starts its own redis-server"
)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    return over_http.measure(
        tmp_path_factory.mktemp("bench-http"),
        images=IMAGES,
        sizes=SIZES,
        rounds=1,
        seconds=0.2,
        in_process_rounds=3,
        repeats=1,
    )


def test_both_servers_answer_every_target(results):
    assert set(results["http"]) == {over_http.MAKE_RUN, over_http.GUNICORN}
    for server in results["http"].values():
        assert set(server) == {target.name for target in over_http.TARGETS}
        assert all(entry["requests"] >= over_http.CLIENTS for entry in server.values())
        assert all(entry["rps"] > 0 and entry["bytes"] > 0 for entry in server.values())


def test_the_uncached_list_is_the_whole_list_and_never_a_hit(results):
    assert results["lengths"]["images"] == IMAGES
    for server in results["http"].values():
        miss, hit = server[over_http.IMAGES_MISS.name], server[over_http.IMAGES_HIT.name]
        assert miss["hits"] == 0
        # The same answer, gzipped; each gzip carries up to RANDOM_BYTES random header bytes.
        assert abs(miss["bytes"] - hit["bytes"]) <= 2 * RANDOM_BYTES
        assert hit["hits"] > 0


def test_make_run_keeps_connections_alive_and_gunicorn_sync_workers_do_not(results):
    make_run, gunicorn = results["http"][over_http.MAKE_RUN], results["http"][over_http.GUNICORN]
    # Whether an answer ends the connection depends on it too (waitress closes after one
    # without Content-Length); /healthz has one.
    healthz = make_run[over_http.HEALTHZ.name]
    assert healthz["keep_alive"]
    assert healthz["connections"] <= over_http.CLIENTS
    assert not any(entry["keep_alive"] for entry in gunicorn.values())
    assert all(entry["closed"] == entry["requests"] for entry in gunicorn.values())
    assert all(entry["connections"] == entry["requests"] for entry in gunicorn.values())


def test_the_full_list_of_each_size_is_read_from_a_serving_process(results):
    assert [entry["count"] for entry in results["scale"]] == list(SIZES)
    for entry in results["scale"]:
        assert entry["bytes"] > 0
        assert entry["processes"] >= 1
        assert entry["peak_kb"] >= entry["rss_kb"] > 0
        assert entry["growth_kb"] >= 0


def test_in_process_and_targets_are_reported(results):
    assert set(results["in_process"]) == {over_http.HEALTHZ.name, over_http.IMAGES_HIT.name}
    lines = over_http.targets(results)
    assert len(lines) == 7
    assert all(isinstance(met, bool) for _, _, met in lines)
