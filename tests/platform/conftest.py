"""Fresh Python processes for tests of how the project starts, and a private
redis-server for the tests that stop, fill or inspect one."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_python(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python ARGS`` in a fresh process with exactly ``env``, as a shell in ``cwd``
    would start it (the project root by default); text output, bounded in time."""
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def import_settings(**env: str) -> subprocess.CompletedProcess:
    """Load the settings in a fresh process with ``env`` on top of this one's
    environment: how a start with that configuration goes."""
    return run_python("-c", "import imageapi.settings", env={**os.environ, **env})


@pytest.fixture
def private_redis(tmp_path) -> Iterator[subprocess.Popen]:
    """A redis-server on a free loopback port; ``.port`` and ``.url``. Stopped afterwards,
    even if the test froze it with SIGSTOP."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    port = free_port()
    server = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "private redis-server did not start"
            time.sleep(0.05)
    server.port = port
    server.url = f"redis://127.0.0.1:{port}"
    yield server
    os.kill(server.pid, signal.SIGCONT)
    server.terminate()
    server.wait(timeout=10)
