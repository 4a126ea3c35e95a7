"""The cache (per-user API answers, throttles): per process unless CACHE_URL is set."""

from typing import Any

from redis.backoff import NoBackoff
from redis.retry import Retry

from imageapi.settings.environment import env

_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES: dict[str, dict[str, Any]] = {
    "default": env.cache_url_config(_cache_url)
    if _cache_url
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "imageapi",
    }
}
CACHES["default"].setdefault("KEY_PREFIX", "imageapi")
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Fail fast when Redis is unreachable or hung: an operation gives up within the
    # socket timeouts, is never retried, and after a failure the process skips the cache
    # for CACHE_RETRY_SECONDS (see imageapi.redis_cache). Requests are answered uncached.
    CACHES["default"]["BACKEND"] = "imageapi.redis_cache.FailFastRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {
            "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.25),
            "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.25),
            "retry": Retry(NoBackoff(), 0),
            "retry_seconds": env.float("CACHE_RETRY_SECONDS", default=5.0),
        }
    )
