"""The README's marked examples, run in order against a live `make run` (make test-readme).

The server runs on a free loopback port with its own DATA_DIR in a temporary folder and
reads no env file; the examples run in a scratch folder (with `.venv` and `manage.py`
linked in) with `BASE` pointing at the server, and the same DATA_DIR, the way a user's
shell in the project root would see it. Everything is bounded in time and the server
is stopped by the test.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.readme.examples import check, parse_steps, run_steps

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # `make run` may have to install the runtime dependencies first
EXAMPLES_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bare_environment(**extra: str) -> dict[str, str]:
    """A shell's basics only: no DATABASE_URL, STORAGE or settings module from the suite."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "TERM")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """`make run` on a free port; yields the environment the examples need."""
    workdir = tmp_path_factory.mktemp("readme-server")
    port = free_port()
    env = bare_environment(
        HOST="127.0.0.1", PORT=str(port), DATA_DIR=str(workdir / "data"), ENV_FILE=""
    )
    log = (workdir / "make-run.log").open("wb")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: make, gunicorn and its workers
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(f"{base}/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (workdir / "make-run.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"`make run` did not answer on {base}/healthz:\n{output}")
            time.sleep(0.3)
        yield {"BASE": base, "DATA_DIR": env["DATA_DIR"], "ENV_FILE": ""}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


def test_the_readme_examples_answer_what_the_readme_shows(server, tmp_path):
    steps = parse_steps((ROOT / "README.md").read_text())
    scratch = tmp_path / "shell"
    scratch.mkdir()
    for name in (".venv", "manage.py"):
        (scratch / name).symlink_to(ROOT / name)

    outcomes = run_steps(
        steps,
        cwd=scratch,
        env=bare_environment(**server),
        workdir=tmp_path / "steps",
        timeout=EXAMPLES_TIMEOUT,
    )

    problems = [
        p
        for step, outcome in zip(steps, outcomes, strict=True)
        for p in check(step, outcome, server["BASE"])
    ]
    assert not problems, "\n".join(problems)
