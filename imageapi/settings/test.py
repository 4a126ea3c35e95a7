"""The test suite's settings: production settings with fast hashing and plain static files.

No env file is read under these settings (see ``environment``): only the process
environment (say, ``DATABASE_URL`` from scripts/with-postgres) changes what the suite
runs against.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from imageapi.settings import *  # noqa: F403
from imageapi.settings import CACHES, DATABASES, STORAGES

# A key of the run's own: the suite neither reads nor writes a data dir's key.
SECRET_KEY = get_random_secret_key()
# The suite creates many users; production keeps Django's default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A file, not SQLite's shared-cache memory database: that one answers "table is locked"
# at once instead of waiting, so tests of concurrent writers (quotas) could not run on
# it. A file in WAL mode behaves as the embedded deployment does.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"imageapi-test-{os.getpid()}.sqlite3")
    }

# Each test process keeps its own cache in memory (the live servers the suite starts use
# the embedded mode's diskcache, as `make run` does), unless CACHE_URL names Redis.
if CACHES["default"]["BACKEND"] == "imageapi.disk_cache.DiskCache":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "imageapi",
            "KEY_PREFIX": "imageapi",
        }
    }
