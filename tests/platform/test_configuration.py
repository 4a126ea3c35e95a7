"""One configuration for the server and its commands: the environment, then an env file.

Each test runs manage.py in a fresh process with only the variables it names, the way
a user runs it from a shell in the project root.
"""

import os
import secrets
import sqlite3
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.platform.conftest import ROOT, run_python


def manage(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """``python manage.py ARGS`` with a bare environment plus ``env``; bounded in time."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    return run_python(str(ROOT / "manage.py"), *args, env={**base, **env}, cwd=cwd)


def printed_settings(*names: str, cwd: Path, **env: str) -> list[str]:
    """The settings a fresh manage.py process sees, one line each."""
    code = "from django.conf import settings\n" + "".join(f"print(settings.{n})\n" for n in names)
    result = manage("shell", "-v0", "-c", code, cwd=cwd, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def env_file(tmp_path) -> Path:
    return tmp_path / "project.env"


class TestEnvFile:
    def test_commands_act_on_the_data_dir_the_env_file_names(self, tmp_path, env_file):
        data = tmp_path / "served-data"
        env_file.write_text(f"# what make run serves\nDATA_DIR={data}\n")

        assert manage("migrate", "-v0", cwd=tmp_path, ENV_FILE=str(env_file)).returncode == 0
        created = manage(
            "create_user", "alice", "--password", "a-long-passphrase", "--tier", "Premium",
            cwd=tmp_path, ENV_FILE=str(env_file),
        )  # fmt: skip

        assert created.returncode == 0, created.stderr
        with sqlite3.connect(data / "db.sqlite3") as db:
            rows = db.execute("SELECT username FROM accounts_user").fetchall()
        assert rows == [("alice",)]

    def test_the_environment_wins_over_the_env_file(self, tmp_path, env_file):
        env_file.write_text(f"DATA_DIR={tmp_path / 'from-file'}\nLOG_LEVEL=WARNING\n")

        data_dir, log_level = printed_settings(
            "DATA_DIR",
            "LOGGING['root']['level']",
            cwd=tmp_path,
            ENV_FILE=str(env_file),
            DATA_DIR=str(tmp_path / "from-env"),
        )

        assert data_dir == str(tmp_path / "from-env")
        assert log_level == "WARNING"

    def test_an_empty_env_file_setting_reads_no_file(self, tmp_path):
        assert printed_settings("ENV_FILE", cwd=tmp_path, ENV_FILE="") == ["None"]

    def test_the_test_settings_never_read_an_env_file(self, tmp_path, env_file):
        env_file.write_text("DATABASE_URL=postgres://someone:secret@db.example.com/prod\n")

        database = printed_settings(
            "DATABASES['default']['ENGINE']",
            cwd=tmp_path,
            ENV_FILE=str(env_file),
            DJANGO_SETTINGS_MODULE="imageapi.settings.test",
        )

        assert database == ["django.db.backends.sqlite3"]

    def test_this_suite_read_no_env_file(self):
        assert settings.ENV_FILE is None


class TestBeforeMigrate:
    @pytest.mark.parametrize(
        "command",
        [
            ["create_user", "alice", "--password", "a-long-passphrase"],
            ["bootstrap"],
            ["backfill_thumbnails"],
            ["cleanup_storage"],
            ["tier", "Studio", "--heights", "200"],
            ["changepassword", "admin"],
        ],
        ids=lambda command: command[0],
    )
    def test_a_command_says_in_one_line_what_to_run_and_creates_nothing(self, tmp_path, command):
        workdir = tmp_path / "checkout"
        workdir.mkdir()

        result = manage(*command, cwd=workdir, ENV_FILE="", DATA_DIR=str(workdir / "data"))

        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1, message
        assert "no database at" in message and "manage.py migrate" in message
        assert files_under(workdir) == []

    def test_a_database_not_fully_migrated_is_named_as_such(self, tmp_path):
        data = tmp_path / "data"
        data.mkdir()
        sqlite3.connect(data / "db.sqlite3").close()

        result = manage(
            "create_user", "alice", "--password", "a-long-passphrase",
            cwd=tmp_path, ENV_FILE="", DATA_DIR=str(data),
        )  # fmt: skip

        assert result.returncode == 1
        assert "migrations not applied" in result.stderr
        assert "Traceback" not in result.stderr


class TestMigrate:
    def test_migrate_makes_the_database_and_a_private_secret_key_once(self, tmp_path):
        data = tmp_path / "data"
        env = {"ENV_FILE": "", "DATA_DIR": str(data)}

        first = manage("migrate", "-v1", cwd=tmp_path, **env)
        key = (data / "secret_key").read_text()
        second = manage("migrate", "-v1", cwd=tmp_path, **env)

        assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
        assert "Created the database" in first.stdout and "secret key" in first.stdout
        assert "Created the database" not in second.stdout
        assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
        assert (data / "secret_key").read_text() == key
        assert printed_settings("SECRET_KEY", cwd=tmp_path, **env) == [key.strip()]

    def test_a_secret_key_from_the_environment_is_never_written(self, tmp_path):
        data = tmp_path / "data"

        result = manage(
            "migrate",
            "-v0",
            cwd=tmp_path,
            ENV_FILE="",
            DATA_DIR=str(data),
            SECRET_KEY=secrets.token_urlsafe(50),
        )

        assert result.returncode == 0, result.stderr
        assert files_under(data) == ["db.sqlite3"]
