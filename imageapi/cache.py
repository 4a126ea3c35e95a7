"""What the configured cache backend raises when its server cannot be reached."""

from redis.exceptions import RedisError

# redis-py's connection errors derive from its own RedisError, not from OSError.
CACHE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)
