"""`make run` finds a Python it can use: the first of python3.11, python3.12, python3.13
and python3 on the PATH that is 3.11 or newer (pyproject's requires-python), and says
clearly when there is none. Checked with `make -n` in a scratch folder whose PATH holds
only stand-in interpreters."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")

# A stand-in for an interpreter older than 3.11: it fails the Makefile's version check
# the way a real python3.10 does (sys.exit(True)).
TOO_OLD = "#!/bin/sh\nexit 1\n"
# A stand-in for a new enough one: this test's own interpreter (3.11 or newer).
NEW_ENOUGH = f'#!/bin/sh\nexec {sys.executable} "$@"\n'


def make_venv(
    tmp_path: Path, interpreters: dict[str, str], *, dry_run: bool = True
) -> subprocess.CompletedProcess:
    """The virtualenv step (``make -n`` unless ``dry_run`` is off) with only
    ``interpreters`` (name: script) on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, script in interpreters.items():
        path = bin_dir / name
        path.write_text(script)
        path.chmod(0o755)
    (tmp_path / "pyproject.toml").touch()
    (tmp_path / "constraints.txt").touch()
    return subprocess.run(
        [
            MAKE,
            "-f",
            str(MAKEFILE),
            "--no-print-directory",
            *(["-n"] if dry_run else []),
            ".venv/.installed-runtime",
        ],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_with_only_312_on_the_path_it_is_chosen_over_an_old_python3(tmp_path):
    result = make_venv(tmp_path, {"python3.12": NEW_ENOUGH, "python3": TOO_OLD})

    assert result.returncode == 0, result.stderr
    assert "python3.12 -m venv .venv" in result.stdout


def test_the_first_new_enough_candidate_wins(tmp_path):
    result = make_venv(
        tmp_path, {"python3.11": NEW_ENOUGH, "python3.13": NEW_ENOUGH, "python3": NEW_ENOUGH}
    )

    assert "python3.11 -m venv .venv" in result.stdout


def test_a_too_old_candidate_is_skipped(tmp_path):
    result = make_venv(tmp_path, {"python3.11": TOO_OLD, "python3.13": NEW_ENOUGH})

    assert "python3.13 -m venv .venv" in result.stdout


def test_a_plain_python3_that_is_new_enough_is_used(tmp_path):
    result = make_venv(tmp_path, {"python3": NEW_ENOUGH})

    assert "python3 -m venv .venv" in result.stdout


def test_with_none_new_enough_it_says_so_instead_of_command_not_found(tmp_path):
    result = make_venv(tmp_path, {"python3": TOO_OLD}, dry_run=False)

    assert result.returncode != 0
    assert "No Python 3.11 or newer found (tried python3.11 python3.12" in result.stderr
    assert "command not found" not in result.stderr
    assert not (tmp_path / ".venv").exists()
