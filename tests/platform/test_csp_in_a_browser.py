"""Swagger UI, ReDoc and the admin still render in a real browser (headless Chromium)
under the Content-Security-Policy: their scripts are the site's own files, none inline.
Skipped where no Chromium is installed."""

import shutil
import subprocess
import urllib.request

import pytest

from tests.live_server import embedded_env, free_port, manage, waitress_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app served by `make run`'s server on loopback, static files collected."""
    data = tmp_path_factory.mktemp("csp-site")
    env = embedded_env(data, SECURE_COOKIES="0")
    manage(env, ["migrate", "--no-input"], ["collectstatic", "--no-input", "--verbosity", "0"])
    with waitress_server(free_port(), env, data / "server.log") as server:
        yield server.wait_healthy()


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
    assert "Upload JPEG, PNG, WebP, AVIF, HEIC/HEIF or GIF images" in dom


def test_the_admin_login_page_renders(site):
    dom = rendered(site + "/admin/login/")

    assert 'id="login-form"' in dom
