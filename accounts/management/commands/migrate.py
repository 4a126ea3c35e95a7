"""Django's migrate, which also makes the embedded mode's data dir.

Nothing else creates files there: settings only read the secret key and SQLite is
opened read-write without creating the file, so a command run before the first
``migrate`` leaves nothing behind.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from imageapi.database_state import sqlite_file
from imageapi.settings.environment import save_embedded_secret_key, uses_unsaved_key


class Command(DjangoMigrate):
    def execute(self, *args, **options):
        # Before Django's system checks, which already connect to the database.
        say = self.stdout.write if options["verbosity"] >= 1 else lambda _: None
        path = sqlite_file(connections[options["database"]].settings_dict)
        if path is not None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()  # an empty file is an empty SQLite database
            say(f"Created the database {path}.")
        if uses_unsaved_key() and save_embedded_secret_key():
            say("Stored a new secret key in the data dir.")
        return super().execute(*args, **options)
