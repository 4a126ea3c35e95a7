"""Swagger UI, ReDoc and the admin still render in a real browser (headless Chromium)
under the Content-Security-Policy: their scripts are the site's own files, none inline.
Skipped where no Chromium is installed."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app served by `make run`'s server on loopback, static files collected."""
    data = tmp_path_factory.mktemp("csp-site")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
        "DATA_DIR": str(data),
        "STATIC_ROOT": str(data / "static"),
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "SECURE_COOKIES": "0",
        "PORT": str(free_port()),
    }
    for key in ("CACHE_URL", "CELERY_BROKER_URL", "STORAGE"):
        env.pop(key, None)
    for command in (["migrate", "--no-input"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    server = subprocess.Popen(
        [sys.executable, "-m", "imageapi.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)


def rendered(url: str) -> str:
    """The page's DOM after its scripts ran (headless Chromium, bounded)."""
    result = subprocess.run(
        [
            CHROMIUM,
            *("--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=8000"),
            *("--dump-dom", url),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return result.stdout


def test_the_policy_is_on_the_pages(site):
    with urllib.request.urlopen(site + "/api/docs/", timeout=10) as response:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_swagger_ui_renders_the_operations(site):
    dom = rendered(site + "/api/docs/")

    assert "opblock-tag" in dom  # drawn by Swagger UI's scripts from the schema
    assert "/api/user/images/" in dom


def test_redoc_renders_the_reference(site):
    dom = rendered(site + "/api/redoc/")

    assert "api-content" in dom  # ReDoc's rendered document
    assert "Upload JPEG or PNG images" in dom


def test_the_admin_login_page_renders(site):
    dom = rendered(site + "/admin/login/")

    assert 'id="login-form"' in dom
