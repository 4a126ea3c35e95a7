"""The test suite's settings: production settings with fast hashing and plain static files."""

from imageapi.settings import *  # noqa: F403
from imageapi.settings import STORAGES

# The suite creates many users; production keeps Django's default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
