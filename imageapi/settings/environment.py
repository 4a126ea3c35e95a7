"""Where settings come from: the process environment, and the data directory."""

import os
from pathlib import Path

import environ
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
