"""The soak's verdicts (loadtest/checks.py) on journals written by hand: what fails a run
and what a fault excuses. The soak itself runs with `make loadtest`."""

import json
from pathlib import Path

import pytest

from loadtest.checks import (
    Report,
    check_requests,
    check_violations,
    expected_images,
    explain_orphan,
    keys_cut_off,
)
from loadtest.faults import RECOVERY, Fault

T0 = 1_000_000.0
REDIS = Fault("restart Redis", start=T0 + 100, end=T0 + 101, note="test")


def journal(folder: Path, name: str, *records: dict) -> None:
    with open(folder / name, "a") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)


def request(t: float, status: int, duration: float = 0.1, **extra) -> dict:
    record = {"t": t, "end": t + duration, "method": "GET", "name": "GET /api/user/images/"}
    return {**record, "status": status, "error": None, "timeout": False, **extra}


def verdict(folder: Path, faults: list[Fault]) -> Report:
    report = Report()
    check_requests(folder, faults, report)
    return report


def test_a_5xx_inside_a_fault_window_is_counted_against_that_fault_not_failed(tmp_path, capsys):
    journal(tmp_path, "requests.jsonl", request(T0 + 100.5, 503), request(T0 + 50, 200))
    report = verdict(tmp_path, [REDIS])
    assert report.failures == []
    assert "inside 'restart Redis': 1" in "\n".join(report.lines)


def test_the_window_includes_the_recovery_and_requests_that_began_before_the_fault(tmp_path):
    just_recovering = request(REDIS.end + RECOVERY - 0.5, 502)
    began_before = request(REDIS.start - 3, 504, duration=4)
    journal(tmp_path, "requests.jsonl", just_recovering, began_before)
    assert verdict(tmp_path, [REDIS]).failures == []


@pytest.mark.parametrize(
    "record",
    [
        request(T0 + 10, 500),  # long before
        request(REDIS.end + RECOVERY + 1, 503),  # after the recovery
        request(T0 + 10, 0, error="ConnectionError"),  # a dropped connection is no answer
    ],
)
def test_a_5xx_or_a_dropped_connection_outside_every_window_fails(tmp_path, record):
    journal(tmp_path, "requests.jsonl", record)
    assert len(verdict(tmp_path, [REDIS]).failures) == 1


def test_a_request_hanging_past_its_timeout_fails_even_inside_a_window(tmp_path):
    journal(
        tmp_path, "requests.jsonl", request(T0 + 100.5, 0, 65, error="ReadTimeout", timeout=True)
    )
    (failure,) = verdict(tmp_path, [REDIS]).failures
    assert "hung past its timeout" in failure


def test_a_rule_broken_while_the_users_ran_fails(tmp_path):
    journal(tmp_path, "violations.jsonl", {"t": T0, "check": "over the image quota", "used": 13})
    report = Report()
    check_violations(tmp_path, report)
    assert report.failures == [
        "1 x over the image quota (e.g. {'t': 1000000.0, "
        "'check': 'over the image quota', 'used': 13})"
    ]


def test_expected_images_are_those_answered_201_and_not_deleted(tmp_path):
    journal(
        tmp_path,
        "uploads.jsonl",
        {"event": "created", "user": "a", "id": 1, "sha256": "x1"},
        {"event": "created", "user": "a", "id": 2, "sha256": "x2"},
        {"event": "deleted", "user": "a", "id": 1},
        {"event": "created", "user": "a", "id": 3, "sha256": "x3"},
        {"event": "delete-uncertain", "user": "a", "id": 3},
        {"event": "uncertain", "user": "b", "sha256": "y", "t": T0},
    )
    kept, maybe_deleted, lost = expected_images(tmp_path)
    assert kept["a"] == {2: "x2", 3: "x3"}
    assert maybe_deleted["a"] == {3}
    assert lost["b"] == 1


KILL = Fault("SIGKILL gunicorn worker", start=T0 + 200, end=T0 + 201, note="test")
KEY = "2b3310f08ba4cdad475d5e2a9fb6e62b"


def test_an_orphan_stored_just_before_a_kill_is_explained():
    assert explain_orphan(f"thumbnails/{KEY}/400-ab.webp", T0 + 190, [KILL], set())


def test_an_orphan_whose_image_delete_was_cut_off_is_explained_however_old(tmp_path):
    journal(
        tmp_path,
        "uploads.jsonl",
        {"event": "created", "user": "a", "id": 7, "sha256": "x", "key": KEY},
        {"event": "delete-uncertain", "user": "a", "id": 7},
        {"event": "created", "user": "a", "id": 8, "sha256": "y", "key": "f" * 32},
        {"event": "deleted", "user": "a", "id": 8},
    )
    cut = keys_cut_off(tmp_path)
    assert cut == {KEY}
    assert explain_orphan(f"originals/2b/{KEY}.jpg", T0 - 500, [KILL], cut)


@pytest.mark.parametrize(
    "stored",
    [T0 + 100, T0 + 201 + RECOVERY + 1],  # long before the kill; after it
)
def test_any_other_orphan_is_not_explained(stored):
    other = "f" * 32
    assert explain_orphan(f"originals/ff/{other}.jpg", stored, [KILL, REDIS], {KEY}) is None
