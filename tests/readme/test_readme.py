"""The README's marked examples, run in order against a live `make run` (make test-readme).

The server runs on a free loopback port with its own DATA_DIR in a temporary folder and
reads no env file; the examples run in a scratch folder (with `.venv` and `manage.py`
linked in) with `BASE` pointing at the server, and the same DATA_DIR, the way a user's
shell in the project root would see it. Everything is bounded in time and the server
is stopped by the test.
"""

import os
from collections.abc import Iterator

import pytest

from tests.live_server import ROOT, free_port, make_run_server
from tests.readme.examples import check, parse_steps, run_steps

START_TIMEOUT = 180  # `make run` may have to install the runtime dependencies first
EXAMPLES_TIMEOUT = 120


def bare_environment(**extra: str) -> dict[str, str]:
    """A shell's basics only: no DATABASE_URL, STORAGE or settings module from the suite."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "TERM")
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **extra}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[dict[str, str]]:
    """`make run` on a free port; yields the environment the examples need."""
    workdir = tmp_path_factory.mktemp("readme-server")
    port = free_port()
    env = bare_environment(
        HOST="127.0.0.1", PORT=str(port), DATA_DIR=str(workdir / "data"), ENV_FILE=""
    )
    with make_run_server(port, env, workdir / "make-run.log") as server:
        base = server.wait_healthy(timeout=START_TIMEOUT)
        yield {"BASE": base, "DATA_DIR": env["DATA_DIR"], "ENV_FILE": ""}


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
    # Run in a checkout, the examples must leave nothing behind in it.
    assert sorted(p.name for p in scratch.iterdir()) == [".venv", "manage.py"]
