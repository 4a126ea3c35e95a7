"""Upload latency through the whole stack: HTTP, gunicorn, Django, DRF, storage, thumbnails.

A throwaway embedded-mode service (SQLite and media in a temporary DATA_DIR) is started
with gunicorn on a free loopback port; an Enterprise user uploads the same photo-like
12 MP JPEG a fixed number of times, one request at a time, and the wall-clock time of
each request is recorded. The server is stopped when the section ends.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests import live_server

REPO_ROOT = Path(__file__).resolve().parent.parent
UPLOADS = 15
WARMUP = 2
REQUEST_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _multipart(field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_until_up(port: int, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited while starting")
        try:
            if _request(port, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A throwaway embedded-mode service (SQLite, media) in ``data_dir``, logging quietly."""
    return live_server.embedded_env(
        data_dir,
        STATIC_ROOT=str(data_dir.parent),  # any existing folder: no static files are served
        DJANGO_SUPERUSER_USERNAME="bench-admin",
        DJANGO_SUPERUSER_PASSWORD=uuid.uuid4().hex,
        LOG_LEVEL="WARNING",  # not a line per request in the bench's output
        **extra,
    )


def manage(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, str(REPO_ROOT / "manage.py"), *args]
    subprocess.run(command, env=env, cwd=REPO_ROOT, check=True, capture_output=True)


@contextlib.contextmanager
def serving(env: dict[str, str], *, workers: int = 1, threads: int = 1) -> Iterator[int]:
    """Run gunicorn with ``env`` on a free loopback port; yield the port, stop it after."""
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "imageapi.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads)]
    command += ["--timeout", str(REQUEST_TIMEOUT), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, cwd=REPO_ROOT)
    try:
        _wait_until_up(port, server, time.monotonic() + 30)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def measure_upload_latency(workdir: Path, jpeg: bytes) -> list[float]:
    """Seconds per upload of ``jpeg`` through a real server; warm-up requests excluded."""
    env = embedded_env(workdir / "api-data")
    password = uuid.uuid4().hex
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "create_user", "bench", "--password", password, "--tier", "Enterprise")
    with serving(env) as port:
        credentials = json.dumps({"username": "bench", "password": password}).encode()
        status, body = _request(
            port,
            "POST",
            "/api/user/token/",
            credentials,
            {"Content-Type": "application/json", "Host": "127.0.0.1"},
        )
        if status != 200:
            raise RuntimeError(f"sign-in failed: {status} {body[:200]!r}")
        token = json.loads(body)["token"]
        payload, boundary = _multipart("image", "photo.jpg", jpeg)
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Host": "127.0.0.1",
        }
        timings = []
        for attempt in range(WARMUP + UPLOADS):
            started = time.perf_counter()
            status, body = _request(port, "POST", "/api/user/images/", payload, headers)
            elapsed = time.perf_counter() - started
            if status != 201:
                raise RuntimeError(f"upload failed: {status} {body[:200]!r}")
            if attempt >= WARMUP:
                timings.append(elapsed)
        return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def describe(timings: list[float]) -> str:
    return (
        f"p50 {percentile(timings, 0.5) * 1000:,.0f} ms, "
        f"p90 {percentile(timings, 0.9) * 1000:,.0f} ms, "
        f"mean {statistics.mean(timings) * 1000:,.0f} ms over {len(timings)} uploads"
    )


def section_upload_latency(ctx) -> None:
    """Bench section: the 12 MP JPEG uploaded by an Enterprise user, one at a time."""
    from bench.thumbnails import heading

    inp = ctx.inputs["jpeg12"]
    heading(f"upload latency through the API: {inp.label}, heights 200 and 400")
    timings = measure_upload_latency(ctx.workdir, inp.path.read_bytes())
    ctx.results["upload_latency"] = timings
    print("  gunicorn (1 sync worker) + Django + DRF + SQLite + local storage, on loopback")
    print(f"  {describe(timings)}")
