"""A hung Redis (a private redis-server stopped with SIGSTOP) costs a request a fraction
of a second: short socket timeouts, no retries, and a breaker that skips the cache for
a while after a failure. Every request is still answered."""

import os
import signal
import time

import pytest
from rest_framework.test import APIClient

from imageapi import redis_cache
from tests.conftest import PASSWORD


@pytest.fixture
def hung_cache(settings, private_redis):
    """The app's cache on the private server, which then stops answering (SIGSTOP)."""
    from imageapi.settings.cache import CACHES

    location = f"redis://127.0.0.1:{private_redis.port}/0"
    options = {k: v for k, v in CACHES["default"].get("OPTIONS", {}).items()}
    settings.CACHES = {
        "default": {
            "BACKEND": "imageapi.redis_cache.FailFastRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": "hung",
            "OPTIONS": options
            or {"socket_connect_timeout": 0.25, "socket_timeout": 0.25, "retry_seconds": 5},
        }
    }
    redis_cache._down_until.clear()
    yield private_redis
    redis_cache._down_until.clear()


def _timed(call) -> tuple[float, object]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def test_requests_stay_fast_and_answered_while_redis_hangs(
    hung_cache, client_for, upload, settings
):
    client = client_for("Premium")
    assert upload(client).status_code == 201
    assert client.get("/api/user/images/").status_code == 200  # fills the cache

    os.kill(hung_cache.pid, signal.SIGSTOP)
    timings = []
    for _ in range(5):
        elapsed, response = _timed(lambda: client.get("/api/user/images/"))
        assert response.status_code == 200
        timings.append(elapsed)
    elapsed, response = _timed(
        lambda: APIClient().post(
            "/api/user/token/",
            {"username": client.user.username, "password": PASSWORD},
            format="json",
        )
    )
    timings.append(elapsed)
    assert response.status_code == 200
    elapsed, response = _timed(lambda: upload(client))
    timings.append(elapsed)
    assert response.status_code == 201

    assert max(timings) < 1.0, timings
    # The socket timeout is paid once (twice at most, should the breaker's few seconds
    # run out on a busy machine); the breaker answers the rest without waiting.
    timeout = settings.CACHES["default"]["OPTIONS"]["socket_timeout"]
    assert sum(elapsed >= timeout for elapsed in timings) <= 2, timings


def test_the_cache_is_used_again_once_redis_answers(hung_cache, client_for, settings):
    settings.CACHES["default"]["OPTIONS"]["retry_seconds"] = 0.5
    client = client_for("Premium")
    os.kill(hung_cache.pid, signal.SIGSTOP)
    assert client.get("/api/user/images/").status_code == 200
    os.kill(hung_cache.pid, signal.SIGCONT)
    time.sleep(0.6)

    client.get("/api/user/images/")
    second = client.get("/api/user/images/")

    assert second["X-Cache"] == "hit"


def test_readiness_reports_the_hung_cache_quickly(hung_cache, db):
    os.kill(hung_cache.pid, signal.SIGSTOP)

    elapsed, response = _timed(lambda: APIClient().get("/readyz"))

    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "unavailable"
    assert elapsed < 1.0


@pytest.fixture
def hung_broker(settings, private_redis):
    """Celery's broker on the private server, which then stops answering (SIGSTOP)."""
    from imageapi.celery import app

    url = f"{private_redis.url}/1"
    previous = app.conf.broker_url
    settings.CELERY_BROKER_URL = url
    app.conf.broker_url = url
    app.pool.force_close_all()
    app._pool = None
    os.kill(private_redis.pid, signal.SIGSTOP)
    yield private_redis
    os.kill(private_redis.pid, signal.SIGCONT)
    app.pool.force_close_all()
    app._pool = None
    app.conf.broker_url = previous


def test_an_upload_is_answered_quickly_while_the_broker_hangs(
    hung_broker, client_for, upload, django_capture_on_commit_callbacks
):
    client = client_for("Premium")

    with django_capture_on_commit_callbacks(execute=True):
        elapsed, response = _timed(lambda: upload(client))

    assert response.status_code == 201
    # Connect, one retry and the publish each give up within BROKER_SOCKET_TIMEOUT.
    assert elapsed < 2.5, elapsed
    # The thumbnail is made on first fetch instead.
    thumbnail = response.json()["thumbnails"][0]["url"].split("testserver", 1)[1]
    assert client.get(thumbnail).status_code == 200
