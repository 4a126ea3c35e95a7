#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(sys.argv)
    except DatabaseError:
        # Any command (changepassword, shell, ...) run before `migrate`: one line that
        # says what to run, not a traceback. Other database errors are raised as they are.
        from imageapi.database_state import MIGRATE_HINT, unmigrated_reason

        reason = unmigrated_reason()
        if reason is None:
            raise
        sys.exit(f"{reason}: {MIGRATE_HINT}.")


if __name__ == "__main__":
    main()
