"""`make run` is hard to starve: two started at once both come up (migrate and
collectstatic take turns), and clients trickling headers or bodies do not hold up
/healthz. The servers run on loopback and are stopped by the fixture."""

import http.client
import json
import shutil
import socket
import threading
import time
from contextlib import ExitStack
from types import SimpleNamespace

import pytest

from tests.live_server import embedded_env, free_port, make_run_server

FRONT_END = "http://front.example"

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
    (data / "home").mkdir()  # where a control socket would appear
    env = embedded_env(
        data, SECURE_COOKIES="0", HOME=str(data / "home"), CORS_ALLOWED_ORIGINS=FRONT_END
    )
    ports = [free_port(), free_port()]
    with ExitStack() as running:
        servers = [
            running.enter_context(make_run_server(port, env, data / f"run-{port}.log"))
            for port in ports
        ]
        for server in servers:
            server.wait_healthy(timeout=120)
        yield SimpleNamespace(
            ports=ports, home=data / "home", logs=[data / f"run-{port}.log" for port in ports]
        )


def test_two_servers_started_at_once_both_serve(two_servers):
    for port in two_servers.ports:
        assert healthz(port)[0] == 200


def test_make_run_says_what_it_does_instead_of_echoing_its_commands(two_servers):
    output = two_servers.logs[0].read_text()

    assert "== Preparing the database (migrate)" in output
    assert "== Serving http://127.0.0.1:" in output
    echoed = [line for line in output.splitlines() if line.startswith(("flock ", "HOST=", "PORT="))]
    assert echoed == []


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


def raw_request(port: int, request_head: bytes) -> http.client.HTTPResponse:
    """Send a request head as given (no body) and read the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(request_head)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        # An upload announcing 10 GB: refused by the server before a byte is read.
        (
            b"POST /api/user/images/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 10737418240\r\n\r\n",
            413,
        ),
        # A request line the server cannot parse.
        (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n", 400),
    ],
)
def test_what_the_server_itself_refuses_is_answered_in_json(two_servers, request_head, status):
    response = raw_request(two_servers.ports[0], request_head)

    assert response.status == status
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read())["detail"]


def test_an_oversized_upload_gets_the_apps_message_with_cors_headers(two_servers):
    response = raw_request(
        two_servers.ports[0],
        b"POST /api/user/images/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Origin: " + FRONT_END.encode() + b"\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\n"
        b"Content-Length: 21037057\r\n\r\n",
    )

    assert response.status == 413
    assert response.getheader("Access-Control-Allow-Origin") == FRONT_END
    assert response.getheader("Connection") == "close"  # the unread body is not a request
    assert json.loads(response.read()) == {
        "detail": "The upload is 21,037,057 bytes; the limit is 21,037,056 bytes "
        "(MAX_UPLOAD_BYTES plus form overhead)."
    }
