"""The cache (per-user API answers, sign-in throttles): per process unless CACHE_URL is set."""

from imageapi.settings.environment import env

_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache_url_config(_cache_url)
    if _cache_url
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "imageapi",
    }
}
CACHES["default"].setdefault("KEY_PREFIX", "imageapi")
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Fail fast when Redis is unreachable: readiness turns 503 and the throttle lets
    # sign-ins through instead of every request hanging on a dead socket.
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 2)
    _redis_options.setdefault("socket_timeout", 5)
