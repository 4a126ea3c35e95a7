"""The database: SQLite in the data dir unless DATABASE_URL names another."""

from urllib.parse import quote

from imageapi.settings.environment import DATA_DIR, env

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _name = DATABASES["default"]["NAME"]
    if _name and _name != ":memory:" and not _name.startswith("file:"):
        # Opened read-write, never created by connecting: a command run before `migrate`
        # fails without leaving an empty database file behind. `migrate` creates it.
        DATABASES["default"]["NAME"] = f"file:{quote(_name)}?mode=rw"
    # WAL and immediate transactions let several gunicorn workers share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
