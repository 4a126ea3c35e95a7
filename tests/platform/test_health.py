"""Liveness and readiness probes."""

import pytest
from django.db import connections
from django.db.utils import load_backend
from rest_framework.test import APIClient

from tests.conftest import free_port


def test_healthz_answers_without_touching_the_database():
    # No db fixture: pytest-django makes any query in this test an error.
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(db):
    response = APIClient().get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "storage": "ok"}


@pytest.fixture
def unreachable_database(db, tmp_path):
    """Swap the default connection for one to a database that cannot be reached."""
    real = connections["default"]
    settings_dict = dict(real.settings_dict)
    if real.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "missing-dir" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = broken
    yield
    broken.close()
    connections["default"] = real


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(unreachable_database):
    response = APIClient().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "unavailable"
    assert "database" in body["status"]
    assert body["checks"]["cache"] == "ok"


def test_migrations_match_the_models(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())
