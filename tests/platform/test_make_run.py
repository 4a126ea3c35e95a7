"""`make run` is hard to starve: two started at once both come up (migrate and
collectstatic take turns), and clients trickling headers or bodies do not hold up
/healthz. The servers run on loopback and are stopped by the fixture."""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("flock"), reason="needs flock (util-linux)")


def healthz(port: int, timeout: float = 10) -> tuple[int, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """Two `make run` in one checkout, started at the same moment on one data dir."""
    data = tmp_path_factory.mktemp("run-data")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))},
        "DATA_DIR": str(data),
        "STATIC_ROOT": str(data / "static"),
        "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
        "SECURE_COOKIES": "0",
        "HOME": str(data / "home"),  # where a control socket would appear
    }
    (data / "home").mkdir()
    env.pop("CACHE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    servers = []
    for _ in range(2):
        port = free_port()
        log = open(data / f"run-{port}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers.append((proc, port, data / f"run-{port}.log"))
    try:
        deadline = time.monotonic() + 120
        for proc, port, log in servers:
            while True:
                assert proc.poll() is None, f"make run exited:\n{log.read_text()[-3000:]}"
                try:
                    if healthz(port, timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"not up:\n{log.read_text()[-3000:]}"
                time.sleep(0.2)
        yield SimpleNamespace(ports=[port for _, port, _ in servers], home=data / "home")
    finally:
        for proc, _, _ in servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def test_two_servers_started_at_once_both_serve(two_servers):
    for port in two_servers.ports:
        assert healthz(port)[0] == 200


def test_no_control_socket_is_shared_between_servers(two_servers):
    # gunicorn 27 bound ~/.gunicorn/gunicorn.ctl by default, one path for every server.
    leftovers = [p for p in two_servers.home.rglob("*") if p.is_socket() or "ctl" in p.name]

    assert leftovers == []


def _trickle(port: int, head: bytes, drip: bytes, until: float) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        while time.monotonic() < until:
            try:
                sock.sendall(drip)
            except OSError:
                return
            time.sleep(0.5)


@pytest.mark.parametrize(
    ("what", "head", "drip"),
    [
        ("headers", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X"),
        (
            "body",
            b"POST /api/user/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
            b" ",
        ),
    ],
)
def test_clients_trickling_requests_do_not_hold_up_healthz(two_servers, what, head, drip):
    port = two_servers.ports[0]
    until = time.monotonic() + 6
    slow = [
        threading.Thread(target=_trickle, args=(port, head, drip, until), daemon=True)
        for _ in range(16)  # four times the server's threads
    ]
    for thread in slow:
        thread.start()
    time.sleep(1)

    answers = [healthz(port) for _ in range(3)]

    assert all(status == 200 for status, _ in answers)
    assert max(elapsed for _, elapsed in answers) < 1.0, answers
    for thread in slow:
        thread.join(timeout=10)
