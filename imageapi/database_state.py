"""Is the database ready for commands? Answered without creating or changing anything.

Commands run before ``migrate`` (a fresh checkout, or a shell without the server's
``DATA_DIR``) say what to run instead of printing a traceback.
"""

from pathlib import Path
from urllib.parse import parse_qs, unquote

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

MIGRATE_HINT = "run `make run` once, or `.venv/bin/python manage.py migrate`"


def sqlite_file(settings_dict: dict) -> Path | None:
    """The file of a SQLite database on disk; None for other engines and in-memory ones."""
    if not settings_dict["ENGINE"].endswith("sqlite3"):
        return None
    name = str(settings_dict["NAME"] or "")
    if name.startswith("file:"):
        path, _, query = name.removeprefix("file:").partition("?")
        if parse_qs(query).get("mode") == ["memory"] or not path:
            return None
        return Path(unquote(path))
    return None if name in {"", ":memory:"} else Path(name)


def unmigrated_reason(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """Why the database cannot serve commands yet, or None when every migration is applied."""
    connection = connections[using]
    path = sqlite_file(connection.settings_dict)
    if path is not None and not path.exists():
        return f"There is no database at {path}"
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"The database cannot be reached ({first_line})"
    if pending:
        return f"The database has {len(pending)} migrations not applied yet"
    return None


def ensure_migrated(using: str = DEFAULT_DB_ALIAS) -> None:
    """Raise a one-line CommandError saying what to run when the database is not ready."""
    reason = unmigrated_reason(using)
    if reason is not None:
        raise CommandError(f"{reason}: {MIGRATE_HINT}.")
