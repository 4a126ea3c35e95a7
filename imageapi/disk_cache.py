"""The embedded mode's shared cache: diskcache, opened on first use.

diskcache's Django backend creates its folder and SQLite files as soon as it is built,
and Django builds every cache backend for its system checks, before any command runs.
This one waits for the first cache operation, so a command refused before ``migrate``
(or a ``migrate`` that never touches the cache) leaves nothing in the data dir. And it
stays open: Django closes caches after every request, which for diskcache means opening
its SQLite files again on the next (measured: cached answers over HTTP 2-3x slower).
"""

from functools import cached_property

from diskcache import DjangoCache, FanoutCache
from django.core.cache.backends.base import BaseCache


class DiskCache(DjangoCache):
    def __init__(self, directory: str, params: dict) -> None:
        BaseCache.__init__(self, params)
        self.location = directory
        self.params = params

    def close(self, **kwargs) -> None:
        """Kept open across requests (each thread keeps its own SQLite connections)."""

    @cached_property
    def _cache(self) -> FanoutCache:
        return FanoutCache(
            self.location,
            self.params.get("SHARDS", 8),
            self.params.get("DATABASE_TIMEOUT", 0.010),
            size_limit=self.params["SIZE_LIMIT"],
            **self.params.get("OPTIONS", {}),
        )
