"""PostgreSQL going down: every endpoint that needs the database answers 503 JSON with
Retry-After (never a 500 or an HTML page), /healthz stays 200, /readyz says 503, and the
same server answers normally once the database is back, without a restart.

The test starts its own PostgreSQL cluster (initdb in a temporary folder, loopback only,
its socket in that folder) and `make run`'s server on it, and stops both itself.
"""

import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from imageapi.errors import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE
from tests.conftest import image_bytes
from tests.live_server import embedded_env, free_port, http, manage, waitress_server

PG_BINS = sorted(
    Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: (len(p.parent.name), p.parent.name)
)
PG_BIN = PG_BINS[-1] if PG_BINS else None
AS_ROOT = os.geteuid() == 0
PASSWORD = "outage-password-12345"
ADMIN_PASSWORD = "outage-admin-password-12345"
PG_TIMEOUT = 60


def _why_no_postgres() -> str | None:
    if PG_BIN is None or not (PG_BIN / "initdb").exists():
        return "needs the PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    if AS_ROOT:
        if not shutil.which("runuser"):
            return "needs runuser to run initdb as the postgres user (initdb refuses root)"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "needs a postgres user to run initdb as (initdb refuses root)"
    return None


pytestmark = pytest.mark.skipif(_why_no_postgres() is not None, reason=str(_why_no_postgres()))


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own: 127.0.0.1:port, socket and data in ``home``."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.data, self.sockets, self.log = home / "data", home / "sockets", home / "server.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/imageapi"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        # initdb and pg_ctl refuse to run as root: they run as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if AS_ROOT else []
        result = subprocess.run(
            [*prefix, *argv],
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"{argv}: {result.stdout}{result.stderr}{self._log()}"
        return result

    def _log(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def init(self) -> None:
        self.sockets.mkdir()
        if AS_ROOT:
            postgres = pwd.getpwnam("postgres")
            for path in (self.home, self.sockets):
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
        self._run(
            str(PG_BIN / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"),
            *("-E", "UTF8", "--locale=C"),
        )
        self.start()
        subprocess.run(
            [str(PG_BIN / "createdb"), *("-h", "127.0.0.1", "-p", str(self.port)), "imageapi"],
            env={**os.environ, "PGUSER": "postgres"},
            capture_output=True,
            timeout=PG_TIMEOUT,
            check=True,
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off"
        self._run(
            str(PG_BIN / "pg_ctl"),
            *("-D", str(self.data), "-l", str(self.log), "-o", options),
            *("-w", "-t", "30", "start"),
        )

    def stop(self, mode: str = "fast", check: bool = True) -> bool:
        stop = ("-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")
        return self._run(str(PG_BIN / "pg_ctl"), *stop, check=check).returncode == 0

    def running(self) -> bool:
        status = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return status.returncode == 0

    def destroy(self) -> None:
        """Stop the cluster however it is (fast, else immediate) and remove its folder."""
        if self.data.exists() and self.running() and not self.stop("fast", check=False):
            self.stop("immediate", check=False)
        shutil.rmtree(self.home, ignore_errors=True)


def multipart(name: str, filename: str, content: bytes, content_type: str):
    """A multipart/form-data body with one file: (body, Content-Type)."""
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def cookies_of(headers) -> dict[str, str]:
    pairs = (value.split(";", 1)[0].split("=", 1) for value in headers.get_all("Set-Cookie") or [])
    return {name: value for name, value in pairs}


@dataclass
class Live:
    """The app on the private PostgreSQL, with what a user and an admin had before it fell."""

    base: str
    postgres: PrivatePostgres
    token: str = ""
    media_url: str = ""
    admin_cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, headers: dict | None = None, data=None):
        return http(method, path if "://" in path else self.base + path, headers, data, 10)

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.admin_cookies.items())


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[Live]:
    # Not pytest's tmp dir: the postgres user must reach it, and pytest's is private to us.
    postgres = PrivatePostgres(Path(tempfile.mkdtemp(prefix="imageapi-pg-")), free_port())
    data = tmp_path_factory.mktemp("outage-data")
    env = embedded_env(
        data,
        DATABASE_URL=postgres.url,
        SECRET_KEY=secrets.token_urlsafe(64),
        SECURE_COOKIES="0",
        LOG_LEVEL="WARNING",
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
    )
    try:
        postgres.init()
        manage(
            env,
            ["migrate", "--no-input"],
            ["bootstrap"],
            ["collectstatic", "--no-input", "--verbosity", "0"],
            ["create_user", "alice", "--password", PASSWORD, "--tier", "Enterprise"],
        )
        with waitress_server(free_port(), env, data / "server.log") as server:
            live = Live(server.wait_healthy(), postgres)
            _prepare(live)
            yield live
    finally:
        postgres.destroy()


def _prepare(live: Live) -> None:
    """While the database is up: a DRF token, an upload and its thumbnail link, and an
    admin's signed-in session with its CSRF token."""
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    status, _, answer = live.request(
        "POST", "/api/user/token/", {"Content-Type": "application/json"}, body
    )
    assert status == 200, answer
    live.token = json.loads(answer)["token"]

    upload, content_type = multipart("image", "photo.jpg", image_bytes(800, 600), "image/jpeg")
    status, _, answer = live.request(
        "POST",
        "/api/user/images/",
        {"Authorization": f"Token {live.token}", "Content-Type": content_type},
        upload,
    )
    assert status == 201, answer
    links = re.findall(r'"(https?://[^"]+/media/[^"]+)"', answer.decode())
    assert links, answer
    live.media_url = links[0]
    status, _, _ = live.request("GET", live.media_url)
    assert status == 200

    status, headers, page = live.request("GET", "/admin/login/")
    assert status == 200
    live.admin_cookies = cookies_of(headers)
    form = {
        "csrfmiddlewaretoken": re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1],
        "username": b"admin",
        "password": ADMIN_PASSWORD.encode(),
        "next": b"/admin/",
    }
    status, headers, answer = live.request(
        "POST",
        "/admin/login/",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": live.cookie_header()},
        b"&".join(k.encode() + b"=" + v for k, v in form.items()),
    )
    assert status == 302, answer
    live.admin_cookies.update(cookies_of(headers))
    assert {"sessionid", "csrftoken"} <= live.admin_cookies.keys()


@pytest.fixture
def database_down(live: Live) -> Iterator[Live]:
    """The private PostgreSQL stopped (fast shutdown) for the test; started again after."""
    live.postgres.stop()
    try:
        yield live
    finally:
        if not live.postgres.running():
            live.postgres.start()


def _json(content_type: str, body: dict) -> tuple[dict, bytes]:
    return {"Content-Type": content_type}, json.dumps(body).encode()


def _requests(live: Live) -> dict[str, tuple[str, str, dict, bytes | None]]:
    """What a user, a script and an admin send: (method, path, headers, body) by name."""
    token = {"Authorization": f"Token {live.token}"}
    login = {"username": "alice", "password": PASSWORD}
    upload, upload_type = multipart("image", "again.png", image_bytes(320, 240, "PNG"), "image/png")
    admin = {"Cookie": live.cookie_header()}
    csrf = live.admin_cookies["csrftoken"]  # signing in rotated it; the form would carry it
    admin_form = f"csrfmiddlewaretoken={csrf}&username=admin&password={ADMIN_PASSWORD}"
    return {
        "list images": ("GET", "/api/user/images/", token, None),
        "token login (JSON)": ("POST", "/api/user/token/", *_json("application/json", login)),
        "token login (form)": (
            "POST",
            "/api/user/token/",
            {"Content-Type": "application/x-www-form-urlencoded"},
            f"username=alice&password={PASSWORD}".encode(),
        ),
        "jwt-login": ("POST", "/api/user/jwt-login/", *_json("application/json", login)),
        "upload": ("POST", "/api/user/images/", {**token, "Content-Type": upload_type}, upload),
        "media link": ("GET", live.media_url, {}, None),
        "admin login page": ("GET", "/admin/login/", admin, None),
        "admin login": (
            "POST",
            "/admin/login/",
            {**admin, "Content-Type": "application/x-www-form-urlencoded"},
            admin_form.encode(),
        ),
        "admin index": ("GET", "/admin/", admin, None),
    }


ENDPOINTS = [
    "list images",
    "token login (JSON)",
    "token login (form)",
    "jwt-login",
    "upload",
    "media link",
    "admin login page",
    "admin login",
    "admin index",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_endpoint_answers_503_json_with_retry_after_while_the_database_is_down(
    database_down, endpoint
):
    method, path, headers, body = _requests(database_down)[endpoint]

    status, answer_headers, answer = database_down.request(method, path, headers, body)

    assert status == 503, answer[:500]
    assert answer_headers["Content-Type"] == "application/json"
    assert json.loads(answer) == {"detail": UNAVAILABLE_MESSAGE}
    assert answer_headers["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_what_needs_no_database_is_still_served_while_it_is_down(database_down):
    assert database_down.request("GET", "/healthz")[0] == 200
    # A first visit's sign-in form reads nothing stored (no session yet); posting it is a 503.
    status, headers, _ = database_down.request("GET", "/admin/login/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")


def test_readiness_reports_the_database_down(database_down):
    status, _, answer = database_down.request("GET", "/readyz")

    assert status == 503
    assert json.loads(answer)["checks"]["database"] == "unavailable"


def test_the_same_server_answers_again_once_the_database_is_back(database_down):
    live = database_down
    token = {"Authorization": f"Token {live.token}"}
    assert live.request("GET", "/api/user/images/", token)[0] == 503

    live.postgres.start()

    # Requests at once, so that every server thread, each with its own connection from
    # before the outage, serves some.
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda _: live.request("GET", "/api/user/images/", token), range(24))
        )
    assert [status for status, _, _ in answers] == [200] * 24
    assert json.loads(answers[0][2])  # the upload made before the outage is listed
    assert live.request("GET", "/readyz")[0] == 200
    assert live.request("GET", live.media_url)[0] == 200
