"""The README's runnable examples: which blocks run, and what each step must answer.

Only blocks marked ``tested`` after the language in their fence run (deployment or TLS
examples that cannot run here stay plain ``sh`` blocks)::

    ```sh tested
    curl -s "$BASE/healthz"
    # → 200 {"status": "ok"}
    ```

Marked blocks run in README order in one bash session, so variables carry over. A step
is one command (lines joined by a trailing backslash); a ``# →`` comment right after it
says what it must answer, and may go on over further comment lines until its JSON ends:

- ``# → 200 {"token": "…"}``: the status of the last HTTP request curl made in the step
  and the JSON it printed. Only the fields shown are checked; ``…`` stands for any value
  (bare or as a whole string) or any characters inside a string; a list must have the
  items shown, or at least those before a final ``…``.
- ``# → 204``: the status alone.
- ``# → Created user 'alice' …``: text the step printed (``…`` matches anything).

``http://127.0.0.1:8000`` in an expectation stands for ``$BASE``. Every step must exit 0.
"""

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "tested"
ANY = "…"
DEFAULT_BASE = "http://127.0.0.1:8000"
_FENCE = re.compile(r"^\s*```(\S*)(.*)$")
_STATUS = re.compile(r"^(\d{3})(?:\s+(.*))?$", re.DOTALL)


@dataclass
class Expectation:
    status: int | None = None
    body: Any = None  # parsed JSON with ANY placeholders; None when no JSON is shown
    text: str | None = None


@dataclass
class Step:
    line: int  # where the command starts in the README (1-based)
    command: str
    expect: Expectation | None = None


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    status: int | None


def tested_blocks(markdown: str) -> list[tuple[int, list[str]]]:
    """``(first line number, lines)`` of every fenced block marked ``tested``, in order."""
    blocks: list[tuple[int, list[str]]] = []
    inside, marked, start, lines = False, False, 0, []
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = _FENCE.match(line)
        if not inside and fence:
            inside, marked, start, lines = True, MARKER in fence.group(2).split(), number + 1, []
        elif inside and line.strip().startswith("```"):
            if marked:
                blocks.append((start, lines))
            inside = False
        elif inside:
            lines.append(line)
    return blocks


def parse_steps(markdown: str) -> list[Step]:
    """Every step of the marked blocks, in README order, with its expectation."""
    steps: list[Step] = []
    for start, lines in tested_blocks(markdown):
        pending: str | None = None  # an expectation still waiting for the rest of its JSON
        continued = False
        for offset, line in enumerate(lines):
            stripped = line.strip()
            if pending is not None:
                if stripped.startswith("#"):
                    pending += "\n" + stripped[1:].strip()
                    if _complete(pending):
                        steps[-1].expect, pending = parse_expectation(pending), None
                    continue
                raise ValueError(f"README line {start + offset}: unfinished expectation")
            if stripped.startswith("# →"):
                if not steps or steps[-1].expect is not None:
                    raise ValueError(f"README line {start + offset}: an expectation needs a step")
                text = stripped.removeprefix("# →").strip()
                if _complete(text):
                    steps[-1].expect = parse_expectation(text)
                else:
                    pending = text
                continue
            if not stripped or (stripped.startswith("#") and not continued):
                continue
            if continued:
                steps[-1].command += "\n" + line
            else:
                steps.append(Step(start + offset, line))
            continued = line.rstrip().endswith("\\")
        if pending is not None:
            raise ValueError(f"README block at line {start}: unfinished expectation")
    return steps


def _json_with_placeholders(text: str) -> Any:
    """JSON where a bare … outside strings is read as the string "…"."""
    out, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif char == ANY:
            out.append(f'"{ANY}"')
        else:
            out.append(char)
    return json.loads("".join(out))


def _complete(expectation: str) -> bool:
    match = _STATUS.match(expectation)
    rest = (match.group(2) or "") if match else expectation
    if not rest.lstrip().startswith(("{", "[")):
        return True
    try:
        _json_with_placeholders(rest)
    except json.JSONDecodeError:
        return False
    return True


def parse_expectation(text: str) -> Expectation:
    match = _STATUS.match(text.strip())
    if not match:
        return Expectation(text=text.strip())
    status, rest = int(match.group(1)), (match.group(2) or "").strip()
    if not rest:
        return Expectation(status=status)
    if rest.startswith(("{", "[")):
        return Expectation(status=status, body=_json_with_placeholders(rest))
    return Expectation(status=status, text=rest)


def _pattern(expected: str, base: str) -> re.Pattern:
    parts = expected.replace(DEFAULT_BASE, base).split(ANY)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


def mismatches(expected: Any, actual: Any, base: str = DEFAULT_BASE, at: str = "") -> list[str]:
    """How ``actual`` differs from ``expected`` (empty when it matches)."""
    where = at or "the answer"
    if expected == ANY:
        return []
    if isinstance(expected, str):
        if isinstance(actual, str) and _pattern(expected, base).fullmatch(actual):
            return []
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{where}: no field {key!r} (fields: {sorted(actual)})")
            else:
                problems += mismatches(value, actual[key], base, f"{at}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        open_ended = bool(expected) and expected[-1] == ANY
        items = expected[:-1] if open_ended else expected
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{where}: expected {len(items)} items, got {len(actual)}: {actual!r}"]
        problems = []
        for index, item in enumerate(items):
            problems += mismatches(item, actual[index], base, f"{at}[{index}]")
        return problems
    if type(expected) is not type(actual) or expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def check(step: Step, outcome: Outcome, base: str) -> list[str]:
    """What is wrong with a step's outcome, as messages naming its README line."""
    problems: list[str] = []
    if outcome.returncode != 0:
        problems.append(f"exited {outcome.returncode}: {outcome.stderr.strip()[-500:]}")
    expect = step.expect
    if expect is not None and expect.status is not None and outcome.status != expect.status:
        got = "no HTTP answer" if outcome.status is None else outcome.status
        problems.append(f"expected HTTP {expect.status}, got {got}: {outcome.stdout[:500]}")
    if expect is not None and expect.body is not None:
        try:
            body = json.loads(outcome.stdout)
        except json.JSONDecodeError:
            problems.append(f"expected JSON, got {outcome.stdout[:500]!r}")
        else:
            problems += mismatches(expect.body, body, base)
    text = expect.text if expect is not None else None
    if text is not None and not _pattern(text, base).search(outcome.stdout):
        problems.append(f"expected output {text!r}, got {outcome.stdout[:500]!r}")
    first_line = step.command.splitlines()[0].strip()
    return [f"README line {step.line} ({first_line}): {problem}" for problem in problems]


def run_steps(
    steps: list[Step], *, cwd: Path, env: dict[str, str], workdir: Path, timeout: float
) -> list[Outcome]:
    """Run the steps in order in one bash session; each one's output, exit code and status.

    ``curl`` is wrapped to dump the headers it receives, which is where the status comes
    from. The whole run is bounded by ``timeout`` seconds.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    script = [
        "set -o pipefail",
        f"__steps={_quote(str(workdir))}",
        'curl() { command curl -D "$__steps/headers" "$@"; }',
    ]
    for index, step in enumerate(steps):
        script += [
            'rm -f "$__steps/headers"',
            "{",
            step.command,
            f'}} >"$__steps/{index}.out" 2>"$__steps/{index}.err"',
            f'echo $? >"$__steps/{index}.rc"',
            f'if [ -f "$__steps/headers" ]; then mv "$__steps/headers" "$__steps/{index}.h"; fi',
        ]
    subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    outcomes = []
    for index in range(len(steps)):
        rc_file = workdir / f"{index}.rc"
        if not rc_file.exists():
            outcomes.append(Outcome(-1, "", "the step did not run", None))
            continue
        headers = workdir / f"{index}.h"
        statuses = (
            re.findall(r"^HTTP/\S+ (\d{3})", headers.read_text(), re.M) if headers.exists() else []
        )
        outcomes.append(
            Outcome(
                int(rc_file.read_text().strip() or -1),
                (workdir / f"{index}.out").read_text(errors="replace"),
                (workdir / f"{index}.err").read_text(errors="replace"),
                int(statuses[-1]) if statuses else None,
            )
        )
    return outcomes


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
