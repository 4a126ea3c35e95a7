"""The compose healthchecks, run as written against real servers with production values."""

import os
import secrets
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.deploy.stack import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture
def production_app(tmp_path):
    """gunicorn serving the app as a deployment configures it: a public host name only."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "images.example.com",
        "NUM_PROXIES": "1",
        "DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "0",
    }
    for name in ("DATABASE_URL", "CACHE_URL", "STORAGE", "CELERY_BROKER_URL"):
        env.pop(name, None)
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "imageapi.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except urllib.error.HTTPError:
            break  # answering (400: the host check) is up
        except OSError:
            time.sleep(0.2)
    yield port, env
    proc.terminate()
    proc.wait(timeout=20)


def compose_test(model: dict, service: str) -> list[str]:
    test = model["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test[1:]


def run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def test_the_web_healthcheck_passes_with_a_public_allowed_hosts(model, production_app):
    port, env = production_app
    argv = compose_test(model, "web")
    argv = [str(BIN / "python") if a == "python" else a for a in argv]
    argv[-1] = argv[-1].replace("127.0.0.1:8000", f"127.0.0.1:{port}")

    result = run(argv, env)

    assert result.returncode == 0, result.stdout + result.stderr
    # The old check — a bare 127.0.0.1 Host — is refused by this very app.
    bare = run(
        [
            str(BIN / "python"),
            "-c",
            f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/readyz')",
        ],
        env,
    )
    assert bare.returncode != 0 and "400" in bare.stderr


def test_the_web_healthcheck_fails_when_the_app_is_down(model):
    argv = compose_test(model, "web")
    argv = [str(BIN / "python") if a == "python" else a for a in argv]
    argv[-1] = argv[-1].replace("8000", str(free_port()))
    assert (
        run(argv, {"ALLOWED_HOSTS": "images.example.com", "PATH": "/usr/bin:/bin"}).returncode == 1
    )


def test_the_db_healthcheck_asks_over_tcp(model):
    test = model["services"]["db"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    command = test[1].replace("$$", "$")
    assert "-h 127.0.0.1" in command
    env = {"PATH": os.environ["PATH"], "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres"}
    up = subprocess.run(["sh", "-c", command], env=env, capture_output=True, timeout=30)
    if up.returncode == 127:
        pytest.skip("pg_isready is not installed")
    assert up.returncode == 0, up.stdout
    down = command.replace("-p 5432", f"-p {free_port()}")
    assert (
        subprocess.run(["sh", "-c", down], env=env, capture_output=True, timeout=30).returncode != 0
    )
    assert shlex.split(command)[0] == "pg_isready"
