"""Where settings come from: the process environment, an optional ``.env``, the data dir.

Every entry point (``make run``, ``make worker``, each ``manage.py`` command) loads these
settings, so all of them read the same ``.env`` and act on the same ``DATA_DIR``,
database and storage. Variables already in the environment win over the file.

The test suite never reads an env file: a developer's ``.env`` (say, a ``DATABASE_URL``
for their own database) must not decide what the tests run against.

Importing the settings writes nothing: the data dir and its secret key are made by
``migrate`` (see ``accounts/management/commands/migrate.py``), so a command that fails
early leaves no files behind.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent
TEST_SETTINGS = "imageapi.settings.test"

env = environ.Env()


def cores() -> int:
    """The cores this process may run on (its CPU affinity, where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def env_file() -> Path | None:
    """The env file to read: ``ENV_FILE`` (empty for none), else ``.env`` in the project root."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") == TEST_SETTINGS:
        return None
    name = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
    return Path(name) if name else None


ENV_FILE = env_file()
if ENV_FILE is not None and ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

# The embedded mode keeps everything (SQLite database, media, secret key) in one folder.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
EMBEDDED_SECRET_KEY_FILE = DATA_DIR / "secret_key"

# The key this process uses until ``migrate`` stores one in the data dir; a process that
# starts after that reads the stored key.
_unsaved_key = get_random_secret_key()


def embedded_secret_key(path: Path = EMBEDDED_SECRET_KEY_FILE) -> str:
    """The data dir's secret key if it has one, else this process's unsaved key."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return _unsaved_key


def uses_unsaved_key() -> bool:
    """Whether the configured SECRET_KEY is this process's key that no data dir holds yet."""
    from django.conf import settings

    return _unsaved_key == settings.SECRET_KEY


def save_embedded_secret_key(path: Path = EMBEDDED_SECRET_KEY_FILE) -> bool:
    """Store this process's key in the data dir unless one is there (atomic); True if stored."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(_unsaved_key)
    return True


# Words that mark a value copied from an example rather than generated. They count as a
# person types them (lower, upper or capitalised case), and x's only in a long run: a key
# from `secrets.token_urlsafe(50)` holds "xXx" about once in 500, a typed word in the
# mixed case of random letters almost never.
_PLACEHOLDER_WORDS = ("change", "insecure", "example", "placeholder", "secret", "dummy", "xxxxxx")


def _looks_typed(key: str) -> bool:
    return any(
        variant in key
        for word in _PLACEHOLDER_WORDS
        for variant in (word, word.upper(), word.capitalize())
    )


MIN_SECRET_KEY_LENGTH = 50


def refuse_weak_secret_key(key: str) -> None:
    """Stop a production start whose SECRET_KEY could be guessed.

    Anyone who knows the key can forge JWTs, sessions and signed links for any user.
    """
    problem = None
    if len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"is {len(key)} characters long; it needs at least {MIN_SECRET_KEY_LENGTH}"
    elif len(set(key)) < 5:
        problem = "repeats too few characters"
    elif _looks_typed(key):
        problem = "looks like a placeholder"
    if problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY {problem}. Set the SECRET_KEY environment variable to a random "
            'value, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(50))" '
            "(or unset it to use the key generated in DATA_DIR), or set DEBUG=1 for local "
            "development."
        )
