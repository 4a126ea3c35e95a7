"""Browser flows in a real Chromium (Debian's, driven by Playwright) against a real server.

`make test-browser` runs these. One gunicorn serves the app on a free loopback port with
its own DATA_DIR (SQLite, media, secret key), made by the operator commands a deployment
uses (migrate, collectstatic, bootstrap, create_user). Two tiny HTTP servers on other
ports play front ends on other origins; only the first is in CORS_ALLOWED_ORIGINS. Every
flow records each URL the browser requests and saves a screenshot under
``artifacts/browser/``. Everything started here is stopped here; every wait is bounded.
"""

import json
import os
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.live_server import (
    ROOT,
    embedded_env,
    free_port,
    gunicorn_server,
    manage,
    waitress_server,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "browser"
PASSWORD = "browser-flows-password-1"
ADMIN_PASSWORD = "browser-admin-password-1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000
# One user per flow, so that no flow sees another's images.
USERS = {
    "ada": "Enterprise",
    "bob": "Premium",
    "cy": "Enterprise",
    "dee": "Premium",
    "eve": "Premium",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class App:
    """The running server and how to reach it."""

    url: str
    env: dict[str, str]
    log: Path

    def manage(self, *commands: list[str]) -> str:
        """Run operator commands (``manage.py`` argument lists) in one Python process."""
        return manage(self.env, *commands)

    def api(self, method: str, path: str, token: str | None = None, body: dict | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def token(self, username: str) -> str:
        body = {"username": username, "password": PASSWORD}
        return self.api("POST", "/api/user/token/", body=body)["token"]


@dataclass
class Origin:
    """A tiny static server on another port: a front end on another origin."""

    url: str
    pages: dict[str, str] = field(default_factory=dict)


def _static_server(pages: dict[str, str]) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path.split("?")[0])
            if body is None:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def origins() -> Iterator[tuple[Origin, Origin]]:
    """(listed, unlisted): two front-end origins; only the first may call the API."""
    servers, made = [], []
    for _ in range(2):
        pages: dict[str, str] = {}
        server, url = _static_server(pages)
        servers.append(server)
        made.append(Origin(url, pages))
    yield made[0], made[1]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def app(tmp_path_factory, origins) -> Iterator[App]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")
    data_dir = tmp_path_factory.mktemp("browser-data")
    port = free_port()
    env = embedded_env(
        data_dir,
        DJANGO_SETTINGS_MODULE="imageapi.settings",
        CORS_ALLOWED_ORIGINS=origins[0].url,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        LOG_LEVEL="WARNING",
        # Every flow signs in from 127.0.0.1 within a minute or two; the default
        # 10/min per address is tested elsewhere.
        LOGIN_THROTTLE_RATE="200/min",
    )
    app = App(f"http://127.0.0.1:{port}", env, data_dir / "gunicorn.log")
    app.manage(
        ["migrate", "--no-input"],
        ["collectstatic", "--no-input", "--verbosity", "0"],
        ["bootstrap"],
        *(
            ["create_user", name, "--password", PASSWORD, "--tier", tier]
            for name, tier in USERS.items()
        ),
    )
    with gunicorn_server(port, env, app.log, "--threads", "4") as server:
        server.wait_healthy()
        yield app


@pytest.fixture(scope="session")
def make_run_app(app: App, tmp_path_factory) -> Iterator[App]:
    """`make run`'s server (waitress, ``python -m imageapi.serve``) on the same data, with
    a 1 MiB upload limit so that an oversized upload is quick to send."""
    port = free_port()
    env = {**app.env, "MAX_UPLOAD_BYTES": str(1024 * 1024)}
    served = App(f"http://127.0.0.1:{port}", env, tmp_path_factory.mktemp("waitress") / "log")
    with waitress_server(port, env, served.log) as server:
        server.wait_healthy()
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the browser extra: run `make test-browser`"
    )
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    """A browser context with what it did: every request URL, every answer of 400 or
    more, and every console error."""

    context: object
    page: object
    requests: list[str]
    console_errors: list[str]
    failed: list[tuple[int, str]]
    name: str

    def screenshot(self, suffix: str = "") -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}{suffix}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def visit(browser, request) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    requests: list[str] = []
    errors: list[str] = []
    failed: list[tuple[int, str]] = []
    context.on("request", lambda r: requests.append(r.url))
    context.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    name = request.node.name.removeprefix("test_")
    visit = Visit(context, page, requests, errors, failed, name)
    try:
        yield visit
    finally:
        try:
            visit.screenshot()
        finally:
            context.close()


def upload_as(visit: Visit, app: App, username: str, data: bytes) -> dict:
    """Upload through the browser context's HTTP client, signed in with a token."""
    response = visit.context.request.post(
        app.url + "/api/user/images/",
        headers={"Authorization": f"Token {app.token(username)}"},
        multipart={"image": {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": data}},
    )
    assert response.status == 201, response.text()
    return response.json()


def loaded_image_size(page, url: str) -> tuple[int, int]:
    """Open a media link as the browser's own image document; its natural size."""
    response = page.goto(url)
    assert response.status == 200, url
    assert response.headers["content-type"].startswith("image/"), response.headers
    return tuple(page.eval_on_selector("img", "i => [i.naturalWidth, i.naturalHeight]"))


@pytest.fixture
def jpeg(tmp_path) -> Path:
    """A real 900x600 JPEG photo-like file on disk, for file inputs."""
    from tests.conftest import image_bytes

    path = tmp_path / "holiday.jpg"
    path.write_bytes(image_bytes(900, 600))
    return path
