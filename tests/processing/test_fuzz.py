"""Mutated JPEG, PNG, HEIC, AVIF, WebP and GIF files: each is refused as ImageRejected,
or accepted and rendered.

Never another exception, never validation and rendering disagreeing, never a hang: the
mutants run in a child process that reports each one as it finishes, and a mutant taking
longer than CASE_SECONDS fails the test by name (and the child is stopped).
"""

import json
import selectors
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from .mutations import mutants

COUNT = 520
SEED = 20240501
# Each mutant is a small image: milliseconds. The limit is for hangs, not for speed.
CASE_SECONDS = 20.0
ROOT = Path(__file__).resolve().parents[2]


def run_mutants(count: int, seed: int) -> list[dict]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.processing.mutations", str(count), str(seed)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[dict] = []
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    try:
        while len(lines) < count:
            started = time.monotonic()
            if not selector.select(timeout=CASE_SECONDS):
                stuck = next(m.name for n, m in enumerate(mutants(count, seed)) if n == len(lines))
                raise AssertionError(f"mutant {stuck} took over {CASE_SECONDS:g} s")
            line = child.stdout.readline()
            if not line:
                raise AssertionError(f"the child died: {child.stderr.read()[-2000:]}")
            lines.append(json.loads(line))
            assert time.monotonic() - started < CASE_SECONDS
    finally:
        selector.close()
        if child.poll() is None:
            child.kill()
        child.wait()
    return lines


def test_every_mutant_is_refused_cleanly_or_rendered():
    results = run_mutants(COUNT, SEED)

    failures = [f"{r['name']}\n{r['error']}" for r in results if "error" in r]
    assert not failures, "\n\n".join(failures[:5])
    outcomes = Counter(r["result"] for r in results)
    # A fuzzer that only ever produced garbage, or only harmless edits, would prove
    # little: both outcomes must be common.
    assert outcomes["rendered"] >= COUNT // 10, outcomes
    assert sum(n for k, n in outcomes.items() if k.startswith("rejected")) >= COUNT // 4, outcomes


def test_mutants_are_the_same_for_the_same_seed():
    first = [(m.name, m.data) for m in mutants(30, seed=7)]
    assert first == [(m.name, m.data) for m in mutants(30, seed=7)]
    assert first != [(m.name, m.data) for m in mutants(30, seed=8)]
