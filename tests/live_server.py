"""Real server processes for the tests that talk to one over HTTP.

A server runs in its own process group (so `make run`'s children stop with it), writes
its output to a log file whose tail is shown when it fails to come up, is waited for
with a deadline, and is stopped with SIGTERM, then SIGKILL. ``embedded_env`` gives an
app server the embedded mode in a folder of its own: SQLite, media, secret key and
static files under a temporary DATA_DIR, none of the suite's settings or services.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT = 30.0
# What the suite may have set that would point a server away from its own data dir.
SUITE_SERVICES = ("DATABASE_URL", "CACHE_URL", "REDIS_URL", "CELERY_BROKER_URL", "STORAGE")


def free_port() -> int:
    """A loopback port nothing listens on (for servers to start, or to find closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without the suite's settings (``DJANGO_*``, ``PYTEST*``)
    and services: the embedded mode in ``data_dir``, no env file; ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    for name in SUITE_SERVICES:
        env.pop(name, None)
    env.update(DATA_DIR=str(data_dir), STATIC_ROOT=str(data_dir / "static"), ENV_FILE="")
    env.update(extra)
    return env


def manage(env: dict[str, str], *commands: list[str], timeout: float = 300) -> str:
    """Run operator commands (``manage.py`` argument lists) in one Python process."""
    script = (
        "import sys, json, django; from django.core.management import call_command; "
        "django.setup(); [call_command(*argv) for argv in json.loads(sys.argv[1])]"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps([list(c) for c in commands])],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "imageapi.settings", **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{commands}: {result.stdout}{result.stderr}"
    return result.stdout


def wait_for(what: str, check: Callable[[], object], timeout: float = START_TIMEOUT):
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as exc:  # the thing is not up yet
            last_error = exc
        else:
            if result:
                return result
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout:g} s (last error: {last_error})")


def http(
    method: str,
    url: str,
    headers: dict | None = None,
    data: bytes | None = None,
    timeout: float = 30,
) -> tuple[int, Message, bytes]:
    """One HTTP request that never follows redirects: (status, headers, body).

    The headers are an ``email.message.Message``: names are case-insensitive.
    """

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def healthy(base: str) -> bool:
    """Whether the app at ``base`` answers /healthz with 200 (False while it cannot)."""
    try:
        return http("GET", base + "/healthz", timeout=2)[0] == 200
    except OSError:
        return False


class Process:
    """A server subprocess in its own process group, its output in a log file.

    As a context manager it is started on entry and stopped on exit. An app server has
    ``base``, its URL.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        log: Path,
        env: dict | None = None,
        *,
        base: str = "",
        cwd: Path = ROOT,
    ):
        self.name, self.argv, self.log, self.env, self.cwd = name, argv, log, env, cwd
        self.base = base
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Process":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # `make run` and its server stop together
            )
        return self

    def __enter__(self) -> "Process":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was not started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def output(self, limit: int | None = 4000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text[-limit:] if limit else text

    def wait_until(
        self, what: str, check: Callable[[], object], timeout: float = START_TIMEOUT
    ) -> None:
        """Wait for ``check``; if the process exits or time runs out, stop it and fail
        with the end of its log."""

        def ready():
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.output()}")
            return check()

        try:
            wait_for(what, ready, timeout)
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}\n--- {self.name} output:\n{self.output()}") from None

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> str:
        """Wait until the app answers /healthz; returns its base URL."""
        base = self.base
        self.wait_until(f"{self.name} answering {base}/healthz", lambda: healthy(base), timeout)
        return base


# --- The app, served the ways the product serves it ----------------------------------


def _loopback(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def make_run_server(port: int, env: dict[str, str], log: Path) -> Process:
    """`make run` (migrate, bootstrap, collectstatic, then waitress) on 127.0.0.1:port."""
    argv = ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"]
    return Process(f"make run :{port}", argv, log, env, base=_loopback(port))


def waitress_server(port: int, env: dict[str, str], log: Path) -> Process:
    """`make run`'s server alone (``python -m imageapi.serve``), set up beforehand."""
    env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    argv = [sys.executable, "-m", "imageapi.serve"]
    return Process(f"imageapi.serve :{port}", argv, log, env, base=_loopback(port))


def gunicorn_server(
    port: int, env: dict[str, str], log: Path, *options: str, workers: int = 1
) -> Process:
    """gunicorn serving the app on 127.0.0.1:port, as the scaled-out setup does."""
    argv = [
        str(BIN / "gunicorn"),
        "imageapi.wsgi:application",
        *("--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", "-"),
        "--no-control-socket",
        *options,
    ]
    return Process(f"gunicorn :{port}", argv, log, env, base=_loopback(port))


# --- The services around it ----------------------------------------------------------


def celery_worker(
    env: dict[str, str], log: Path, *, hostname: str, concurrency: int = 1
) -> Process:
    """A Celery worker (prefork) on the broker ``env`` names; no gossip, mingle or heartbeat,
    so it starts in a second and says nothing to other workers."""
    argv = [
        str(BIN / "celery"),
        *("-A", "imageapi", "worker", "--loglevel", "INFO"),
        *("--pool", "prefork", "--concurrency", str(concurrency), "--hostname", hostname),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
    ]
    return Process("celery worker", argv, log, env)


def redis_server(port: int, folder: Path) -> Process:
    """A throwaway redis-server on 127.0.0.1:port, nothing saved; its log in ``folder``."""
    import shutil

    argv = [
        shutil.which("redis-server") or "/usr/bin/redis-server",
        *("--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"),
        *("--dir", str(folder)),
    ]
    return Process(f"redis-server :{port}", argv, folder / f"redis-{port}.log")
