"""Where settings come from: the process environment, and the data directory."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

# The embedded mode keeps everything (SQLite database, media, secret key) in one folder.
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()


def embedded_secret_key(path: Path) -> str:
    """Read the data dir's secret key, creating it (and the folder) atomically on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = get_random_secret_key()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# Words that mark a value copied from an example rather than generated.
_PLACEHOLDER_WORDS = ("change", "insecure", "example", "placeholder", "secret", "dummy", "xxx")
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
    elif any(word in key.lower() for word in _PLACEHOLDER_WORDS):
        problem = "looks like a placeholder"
    if problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY {problem}. Set the SECRET_KEY environment variable to a random "
            'value, e.g. python3 -c "import secrets; print(secrets.token_urlsafe(50))" '
            "(or unset it to use the key generated in DATA_DIR), or set DEBUG=1 for local "
            "development."
        )
