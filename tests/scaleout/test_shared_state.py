"""State that must hold across processes: the per-user cache, and readiness of each server."""

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.live_server import free_port, http, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_per_user_cache_is_shared_by_two_app_processes(client_for, upload, gunicorn):
    client = client_for("Premium")
    # Behind a load balancer every process sees the same Host, hence the same cache key.
    headers = {
        "Authorization": f"Token {Token.objects.get(user=client.user).key}",
        "Host": "localhost",
    }
    first, second = gunicorn(), gunicorn()

    status, miss, empty = http("GET", first + "/api/user/images/", headers)
    assert status == 200
    assert miss["X-Cache"] is None
    status, hit, cached = http("GET", second + "/api/user/images/", headers)
    assert status == 200
    assert hit["X-Cache"] == "hit"
    assert cached == empty

    # A write anywhere (here: this test's own process) is seen by every process at once,
    # and the entry one process fills is the one the other serves.
    image = upload(client).json()
    _, miss, fresh = http("GET", second + "/api/user/images/", headers)
    assert miss["X-Cache"] is None
    assert f'"id":{image["id"]}' in fresh.decode()
    _, hit, cached = http("GET", first + "/api/user/images/", headers)
    assert hit["X-Cache"] == "hit"
    assert cached == fresh


ALL_OK = {"database": "ok", "cache": "ok", "storage": "ok"}


def readyz() -> tuple[int, dict]:
    response = APIClient().get("/readyz")
    return response.status_code, response.json()


def test_readyz_is_503_while_redis_is_down_and_recovers(redis_server):
    port = free_port()
    server = redis_server(port)
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
    with override_settings(CACHES={"default": cache}):
        assert readyz() == (200, {"status": "ok", "checks": ALL_OK})

        server.stop()
        status, body = readyz()
        assert status == 503
        assert body["checks"] == {**ALL_OK, "cache": "unavailable"}
        assert "cache" in body["status"]

        redis_server(port)
        wait_for("readyz to recover", lambda: readyz()[0] == 200, timeout=10)


def test_readyz_is_503_while_the_s3_server_is_down_and_recovers(moto_server):
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = moto_server(port)
    assert http("PUT", f"{endpoint}/probe-bucket")[0] == 200
    storage = settings.STORAGES["default"]
    s3 = {**storage, "OPTIONS": {**storage["OPTIONS"], "endpoint_url": endpoint}}
    s3["OPTIONS"]["bucket_name"] = "probe-bucket"
    with override_settings(STORAGES={**settings.STORAGES, "default": s3}):
        assert readyz() == (200, {"status": "ok", "checks": ALL_OK})

        server.stop()
        status, body = readyz()
        assert status == 503
        assert body["checks"] == {**ALL_OK, "storage": "unavailable"}

        # moto keeps buckets in memory: the restarted server needs its bucket again
        # (MinIO keeps it on its volume). Until then the bucket check still fails.
        moto_server(port)
        assert readyz()[0] == 503
        assert http("PUT", f"{endpoint}/probe-bucket")[0] == 200
        wait_for("readyz to recover", lambda: readyz()[0] == 200, timeout=10)
