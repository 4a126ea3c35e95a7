"""Django's Redis cache that fails fast: short socket timeouts and a circuit breaker.

The cache only ever saves work, so an unreachable or hung Redis must cost a request
almost nothing. Socket timeouts (CACHE_CONNECT_TIMEOUT, CACHE_SOCKET_TIMEOUT) bound
one operation; after a failure the breaker answers every operation of this process
with an immediate ``CacheUnavailable`` for CACHE_RETRY_SECONDS, so a request making
several cache calls pays the timeout at most once, and the next requests nothing until
the interval is over. Callers already degrade on ``imageapi.outages.CACHE_ERRORS``.
"""

import functools
import time

from django.core.cache.backends.redis import RedisCache
from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

BACKEND_LABEL = "redis"


class CacheUnavailable(RedisConnectionError):
    """Raised at once while the breaker is open (a RedisError, so callers degrade)."""


# Per process, not per cache object: Django makes one cache object per thread.
_down_until: dict[str, float] = {}


class FailFastRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_seconds = float(options.pop("retry_seconds", 5.0))
        super().__init__(server, {**params, "OPTIONS": options})
        self._breaker_key = ",".join(self._servers)

    def _call(self, method, *args, **kwargs):
        if time.monotonic() < _down_until.get(self._breaker_key, 0.0):
            raise CacheUnavailable("cache marked unavailable after a recent failure")
        try:
            return method(self, *args, **kwargs)
        except RedisError:
            _down_until[self._breaker_key] = time.monotonic() + self.retry_seconds
            raise

    def get(self, key, default=None, version=None):
        django_cache_get_total.labels(backend=BACKEND_LABEL).inc()
        missing = object()
        try:
            value = self._call(RedisCache.get, key, missing, version)
        except RedisError:
            django_cache_get_fail_total.labels(backend=BACKEND_LABEL).inc()
            raise
        if value is missing:
            django_cache_misses_total.labels(backend=BACKEND_LABEL).inc()
            return default
        django_cache_hits_total.labels(backend=BACKEND_LABEL).inc()
        return value


def _guarded(name: str):
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def method(self, *args, **kwargs):
        return self._call(original, *args, **kwargs)

    return method


for _name in (
    "add",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(FailFastRedisCache, _name, _guarded(_name))
