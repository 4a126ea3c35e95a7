"""The cache (API answers and their stamps, throttles, thumbnail claims), shared by every
process: diskcache in the data dir (the embedded mode, however many processes `make run`
starts), or Redis with CACHE_URL (the scaled-out setup)."""

from typing import Any

from redis.backoff import NoBackoff
from redis.retry import Retry

from imageapi.settings.environment import DATA_DIR, env

_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES: dict[str, dict[str, Any]] = {
    "default": env.cache_url_config(_cache_url)
    if _cache_url
    else {
        # SQLite files with atomic add/set across processes; a read that meets a lock
        # answers "missing" at once (an uncached answer), a write waits its turn.
        "BACKEND": "imageapi.disk_cache.DiskCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "TIMEOUT": 300,
        "SIZE_LIMIT": env.int("CACHE_SIZE_LIMIT", default=256 * 1024 * 1024),
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
