"""`make run`'s server uses every core: several processes share one socket and one cache.

A write answered by one process is seen by the very next read, whichever process reads;
a cached answer stops at once when its token is deleted from another process; a process
that dies is replaced. Runs on loopback and is stopped by the fixture.
"""

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from types import SimpleNamespace

import pytest
from PIL import Image

from tests.live_server import embedded_env, free_port, http, manage, wait_for, waitress_server

PASSWORD = "a-long-passphrase-for-tests"


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (320, 240), "teal").save(out, "JPEG")
    return out.getvalue()


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "----imageapi-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("processes")
    env = embedded_env(data, WEB_PROCESSES="2", WEB_THREADS="4", SECURE_COOKIES="0")
    manage(env, ["migrate", "--no-input", "-v", "0"], ["bootstrap"])
    manage(env, ["create_user", "pat", "--password", PASSWORD, "--tier", "Enterprise"])
    port = free_port()
    with waitress_server(port, env, data / "server.log") as process:
        process.wait_healthy()
        wait_for("two server processes", lambda: len(children(process.pid)) == 2)
        status, _, body = http(
            "POST",
            f"{process.base}/api/user/token/",
            {"Content-Type": "application/json"},
            json.dumps({"username": "pat", "password": PASSWORD}).encode(),
        )
        assert status == 200, body
        token = json.loads(body)["token"]
        yield SimpleNamespace(process=process, base=process.base, env=env, token=token)


def api(server, method="GET", path="/api/user/images/", body=None, content_type=None):
    headers = {"Authorization": f"Token {server.token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return http(method, server.base + path, headers, body)


def test_every_process_serves(server):
    before = {pid: cpu_ticks(pid) for pid in children(server.process.pid)}

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: api(server)[0], range(400)))

    assert set(statuses) == {200}
    after = {pid: cpu_ticks(pid) for pid in before}
    assert all(after[pid] > before[pid] for pid in before), (before, after)


def test_a_write_in_one_process_is_read_at_once_in_every_other(server):
    body, content_type = multipart(jpeg())
    for _ in range(6):
        for _ in range(8):  # warm both processes' view of the list (cached answers)
            assert api(server)[0] == 200
        status, _, created = api(server, "POST", body=body, content_type=content_type)
        assert status == 201, created
        image_id = json.loads(created)["id"]
        for _ in range(8):  # whichever process answers, never the list before the write
            status, _, listing = api(server)
            assert image_id in [image["id"] for image in json.loads(listing)]
        assert api(server, "DELETE", f"/api/user/images/{image_id}/")[0] == 204
        for _ in range(8):
            status, _, listing = api(server)
            assert image_id not in [image["id"] for image in json.loads(listing)]


def test_a_deleted_token_is_refused_by_every_process_at_once(server):
    assert any(api(server)[1].get("X-Cache") == "hit" for _ in range(8))

    manage(
        server.env,
        [
            "shell",
            "-c",
            "from rest_framework.authtoken.models import Token; Token.objects.all().delete()",
        ],
    )

    assert {api(server)[0] for _ in range(8)} == {401}


def test_a_process_that_dies_is_replaced(server):
    victim = children(server.process.pid)[0]
    os.kill(victim, signal.SIGKILL)

    wait_for(
        "a replacement process",
        lambda: (
            len(children(server.process.pid)) == 2 and victim not in children(server.process.pid)
        ),
    )
    time.sleep(0.5)
    assert {http("GET", server.base + "/healthz")[0] for _ in range(10)} == {200}
