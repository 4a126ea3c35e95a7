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
from imageapi.settings import DATABASES, STORAGES

# A key of the run's own: the suite neither reads nor writes a data dir's key.
SECRET_KEY = get_random_secret_key()
# The suite creates many users; production keeps Django's default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, as in production, not the default in-memory database: its shared-cache
    # mode fails a second writer at once ("table is locked") instead of letting it wait,
    # so the tests that race real threads could not run on it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"imageapi-test-{os.getpid()}.sqlite3")
    }
