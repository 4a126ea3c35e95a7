"""What the soak checks once the users have stopped, and what it only reports.

Correctness (a failure makes ``make loadtest`` exit non-zero): every upload answered 201
and not deleted is listed and its original has the SHA-256 of the bytes sent; every listed
thumbnail is served and decodes; no listed image nobody uploaded (beyond uploads whose
answer was lost); the quota held; ``cleanup_storage`` finds no orphan older than its grace
period that a killed process does not explain; no 5xx (or dropped connection) outside a
fault's window; no request hanging past its timeout; no rule broken during the run
(``violations.jsonl``). Reported only: latency and throughput per endpoint, memory, Redis.
"""

import csv
import hashlib
import io
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import boto3
from PIL import Image

from loadtest.faults import RECOVERY, Fault
from tests.live_server import http

if TYPE_CHECKING:
    from loadtest.stack import Stack

# Why each fault may fail requests that overlap it (the numbers printed beside are the run's).
CAUSES = {
    "SIGKILL Celery worker": "background work only: tasks in hand are lost until redelivered; "
    "thumbnails asked for meanwhile are made by the web processes",
    "SIGKILL gunicorn worker": "requests that worker held are cut off: nginx answers them 503 "
    "(502 from the upstream; a POST is never retried)",
    "restart Redis": "cache and broker gone for a moment: cache reads fall through, queued "
    "tasks are lost (their thumbnails are made on first fetch)",
    "SIGSTOP PostgreSQL": "every query waits for the server to go on; nothing should fail, "
    "only wait",
}


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def section(self, title: str) -> None:
        self.say()
        self.say(f"== {title}")

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.say(f"FAIL {text}")


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def overlapping(faults: list[Fault], start: float, end: float) -> Fault | None:
    for fault in faults:
        low, high = fault.window()
        if start <= high and end >= low:
            return fault
    return None


# --- During the run --------------------------------------------------------------------


def check_requests(out: Path, faults: list[Fault], report: Report) -> None:
    report.section("Server errors and hangs")
    requests = read_jsonl(out / "requests.jsonl")
    report.say(f"{len(requests)} requests recorded")
    for fault in faults:
        low, high = fault.window()
        report.say(
            f"fault {fault.name} ({fault.note}): window {low - faults[0].start:+.1f} s .. "
            f"{high - faults[0].start:+.1f} s from the first fault ({high - low:.1f} s, "
            f"{RECOVERY:g} s of recovery included)"
        )
    explained: dict[str, Counter] = defaultdict(Counter)
    unexplained: Counter = Counter()
    for r in requests:
        if r["timeout"]:
            continue
        if r["status"] >= 500 or r["status"] == 0:
            what = f"{r['method'] if r['method'] not in r['name'] else ''}{r['name']} -> " + (
                str(r["status"]) if r["status"] else r["error"] or "no answer"
            )
            fault = overlapping(faults, r["t"], r["end"])
            if fault:
                explained[fault.name][what] += 1
            else:
                unexplained[what] += 1
    for fault in faults:
        counts = explained.get(fault.name)
        total = sum(counts.values()) if counts else 0
        report.say(f"inside '{fault.name}': {total} ({CAUSES[fault.name]})")
        for what, n in sorted((counts or {}).items()):
            report.say(f"    {n:5d}  {what}")
    for what, n in sorted(unexplained.items()):
        report.fail(f"{n} x {what} outside every fault window")
    if not unexplained:
        report.say("outside the fault windows: none")
    hangs = [r for r in requests if r["timeout"]]
    for r in hangs:
        report.fail(f"{r['name']} hung past its timeout (started {r['t']:.1f})")
    if not hangs:
        report.say("requests hanging past their 65 s timeout: none")


def check_violations(out: Path, report: Report) -> None:
    report.section("Rules checked by the users while they ran")
    violations = read_jsonl(out / "violations.jsonl")
    by_check = Counter(v["check"] for v in violations)
    for check, n in sorted(by_check.items()):
        example = next(v for v in violations if v["check"] == check)
        report.fail(f"{n} x {check} (e.g. {example})")
    races = [e["deletes"] for e in read_jsonl(out / "uploads.jsonl") if e["event"] == "race"]
    outcomes = Counter("+".join(map(str, statuses)) for statuses in races)
    report.say(
        f"{len(races)} uploads deleted twice at once while fetched; the two deletes answered: "
        + ", ".join(f"{outcome} ({n})" for outcome, n in sorted(outcomes.items()))
    )
    if not violations:
        report.say(
            "none broken: /me never over the quota; racing deletes 204 or 404, one 204 at "
            "least, and the image gone after; tier changes shown once settled; expiring links "
            "served until and refused after their expiry"
        )


# --- After the run ---------------------------------------------------------------------


class Client:
    """One account over HTTP through nginx, signed in with a DRF token."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        body = urlencode({"username": username, "password": password}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, answer = http("POST", base + "/api/user/token/", headers, body)
        assert status == 200, f"{username} cannot sign in after the run: {status} {answer[:200]}"
        self.auth = {"Authorization": f"Token {json.loads(answer)['token']}"}

    def all(self, path: str) -> list[dict]:
        """Every entry of a list, following the pages."""
        url, entries = f"{self.base}{path}?limit=100", []
        while url:
            status, _, body = http("GET", url, self.auth, timeout=65)
            assert status == 200, f"GET {url}: {status} {body[:200]}"
            page = json.loads(body)
            entries += page["results"]
            url = page["next"]
        return entries


def expected_images(out: Path) -> tuple[dict, dict, Counter]:
    """From the users' journal: {user: {id: sha256}} kept, {user: ids maybe deleted},
    and per user the uploads whose answer was lost."""
    kept: dict[str, dict[int, str]] = defaultdict(dict)
    maybe_deleted: dict[str, set[int]] = defaultdict(set)
    lost: Counter = Counter()
    for event in read_jsonl(out / "uploads.jsonl"):
        user = event["user"]
        if event["event"] == "created":
            kept[user][event["id"]] = event["sha256"]
        elif event["event"] == "deleted":
            kept[user].pop(event["id"], None)
        elif event["event"] == "delete-uncertain":
            maybe_deleted[user].add(event["id"])
        elif event["event"] == "uncertain":
            lost[user] += 1
    return kept, maybe_deleted, lost


def check_listings(stack: "Stack", accounts: dict, report: Report) -> dict[str, list[dict]]:
    """Uploads listed, nothing unknown listed, the quota held; every thumbnail decodes."""
    report.section("Uploads listed; thumbnails served and decoded")
    kept, maybe_deleted, lost = expected_images(stack.out)
    listings: dict[str, list[dict]] = {}
    thumbnails = decoded = 0
    for username, password in accounts["all"]:
        client = Client(stack.base, username, password)
        images = client.all("/api/user/images/")
        listings[username] = images
        listed = {image["id"] for image in images}
        missing = set(kept[username]) - listed - maybe_deleted[username]
        for image_id in sorted(missing):
            report.fail(f"{username}: image {image_id} was uploaded (201) but is not listed")
        unknown = listed - set(kept[username]) - maybe_deleted[username]
        if len(unknown) > lost[username]:
            report.fail(
                f"{username}: {len(unknown)} listed images nobody got a 201 for "
                f"(only {lost[username]} uploads lost their answer)"
            )
        for thumb in client.all("/api/user/thumbnails/"):
            thumbnails += 1
            status, _, body = http("GET", thumb["thumbnail"], {"Accept": "*/*"}, timeout=65)
            if status != 200:
                report.fail(f"{username}: thumbnail {thumb['id']} answered {status}")
                continue
            try:
                with Image.open(io.BytesIO(body)) as picture:
                    picture.load()
                    if picture.height > thumb["height"]:
                        report.fail(f"thumbnail {thumb['id']} is {picture.height} px high")
                decoded += 1
            except Exception as exc:
                report.fail(f"{username}: thumbnail {thumb['id']} does not decode: {exc}")
    total = sum(len(v) for v in listings.values())
    expected = sum(len(v) for v in kept.values())
    report.say(
        f"{total} images listed for {len(listings)} accounts; {expected} uploads answered 201 "
        f"and not deleted; {sum(lost.values())} uploads lost their answer in a fault"
    )
    report.say(f"{thumbnails} thumbnails listed, {decoded} fetched and decoded by Pillow")
    slot_user = accounts["slot"][0][0]
    count, limit = len(listings[slot_user]), accounts["slot_limit"]
    if count > limit:
        report.fail(f"{slot_user} holds {count} images, over its tier's {limit}")
    else:
        report.say(f"quota: {slot_user} holds {count} of its {limit} images")
    return listings


def check_originals(stack: "Stack", accounts: dict, report: Report) -> None:
    """Every kept upload's original, byte for byte (accounts without original links are
    moved to Enterprise first, as an admin would, so every original has a link)."""
    report.section("Originals byte for byte")
    kept, _, _ = expected_images(stack.out)
    moved = [u for u, tier in accounts["tiers"].items() if tier not in ("Premium", "Enterprise")]
    stack.manage(*[["create_user", u, "--tier", "Enterprise"] for u in moved])
    time.sleep(16)  # past API_CACHE_SECONDS: the lists now show the original links
    checked = 0
    for username, password in accounts["all"]:
        client = Client(stack.base, username, password)
        for image in client.all("/api/user/images/"):
            digest = kept[username].get(image["id"])
            if digest is None:
                continue
            status, _, body = http("GET", image["image"], timeout=65)
            if status != 200:
                report.fail(f"{username}: original of image {image['id']} answered {status}")
            elif hashlib.sha256(body).hexdigest() != digest:
                report.fail(f"{username}: original of image {image['id']} differs from the upload")
            else:
                checked += 1
    report.say(
        f"{checked} originals match the SHA-256 recorded at upload "
        f"({len(moved)} accounts moved to Enterprise for their links: {', '.join(moved)})"
    )


ORPHAN_LINE = re.compile(r"^(?P<name>\S+)  \((?P<label>[^)]*)\)$")


def keys_cut_off(out: Path) -> set[str]:
    """Keys of the images whose delete lost its answer (a fault cut it off): the row may be
    gone while its files were still to be removed."""
    created = read_jsonl(out / "uploads.jsonl")
    keys = {(e["user"], e["id"]): e.get("key") for e in created if e["event"] == "created"}
    cut = {(e["user"], e["id"]) for e in created if e["event"] == "delete-uncertain"}
    return {keys[k] for k in cut if keys.get(k)}


def explain_orphan(name: str, stored: float, faults: list[Fault], cut: set[str]) -> str | None:
    """Why a file without a row may exist, or None. A process killed between storing a file
    and writing its row leaves it behind (renders and uploads take seconds, not 30), and so
    does one killed between deleting a row and removing its files."""
    for fault in faults:
        if fault.name.startswith("SIGKILL") and fault.start - 30 <= stored <= fault.end + RECOVERY:
            return f"stored in the 30 s before '{fault.name}'"
    if any(key in name for key in cut):
        return "its image's delete was cut off by a fault"
    return None


def check_orphans(stack: "Stack", faults: list[Fault], report: Report) -> None:
    report.section("Stored files without a row (manage.py cleanup_storage, dry run)")
    output = stack.manage(["cleanup_storage"])
    orphans = [m["name"] for line in output.splitlines() if (m := ORPHAN_LINE.match(line))]
    report.say(output.strip().splitlines()[-1] if output.strip() else "(no output)")
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.env["AWS_S3_ENDPOINT_URL"],
        region_name=stack.env["AWS_S3_REGION_NAME"],
        aws_access_key_id=stack.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=stack.env["AWS_SECRET_ACCESS_KEY"],
    )
    cut = keys_cut_off(stack.out)
    for name in orphans:
        stored = s3.head_object(Bucket=stack.env["AWS_STORAGE_BUCKET_NAME"], Key=name)
        when = stored["LastModified"].timestamp()
        why = explain_orphan(name, when, faults, cut)
        if why:
            report.say(f"explained: {name}, {why}")
        else:
            report.fail(f"orphan {name} (stored {when:.0f}): no fault explains it")


# --- Reported only ---------------------------------------------------------------------


def report_latency(out: Path, report: Report) -> list[dict]:
    report.section("Latency and throughput per endpoint (Locust; ms)")
    path = out / "locust_stats.csv"
    if not path.exists():
        report.fail("Locust wrote no statistics")
        return []
    rows = list(csv.DictReader(path.open()))
    header = ("requests", "fails", "req/s", "p50", "p95", "p99")
    report.say(f"{'endpoint':58} {header[0]:>8} " + " ".join(f"{h:>6}" for h in header[1:]))
    for row in rows:
        name = f"{row['Type']} {row['Name']}" if row["Type"] not in row["Name"] else row["Name"]
        report.say(
            f"{name[:58]:58} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):6.2f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    return rows


def report_memory(samples: list[dict], warm_up: float, report: Report) -> None:
    report.section("Memory (RSS, MiB): after warm-up vs at the end")
    warm = next((s for s in samples if s["t"] >= warm_up), None)
    if warm is None or len(samples) < 2:
        report.say("too few samples")
        return
    end = samples[-1]
    for what in ("web", "worker"):
        growth = (end[what] - warm[what]) / warm[what] * 100
        mark = "under" if growth < 10 else "OVER"
        report.say(
            f"{what:8} {warm[what]:7.1f} -> {end[what]:7.1f}  ({growth:+.1f} %, {mark} 10 %)"
        )
    survivors = set(warm["web_workers"]) & set(end["web_workers"])
    for pid in sorted(survivors):
        a, b = warm["web_workers"][pid], end["web_workers"][pid]
        report.say(f"  web process {pid}: {a:.1f} -> {b:.1f} ({(b - a) / a * 100:+.1f} %)")
    report.say(
        "(reported, not checked: the kills replace a web worker and the Celery worker with "
        "fresh processes mid-run, so the totals mix old and new processes)"
    )


def report_unplanned(exits: list[dict], report: Report) -> None:
    """The Celery worker exiting without being killed: a finding, reported, not failed on
    (users are served all the same: thumbnails are made on first fetch meanwhile)."""
    report.section("The Celery worker exiting by itself (restarted as compose would)")
    for event in exits:
        report.say(f"FINDING exit code {event['exit']}: {event['why']}")
    if not exits:
        report.say("never")


def report_redis(stack: "Stack", report: Report) -> dict:
    report.section("Redis at the end")
    cache, broker = stack.redis(0), stack.redis(1)
    memory = cache.info("memory")
    figures = {
        "used_memory": memory["used_memory_human"],
        "peak": memory["used_memory_peak_human"],
        "cache_keys": cache.dbsize(),
        "queue": broker.llen("celery"),
        "unacked": broker.hlen("unacked"),
    }
    report.say(
        f"memory {figures['used_memory']} (peak {figures['peak']} since the restart), "
        f"{figures['cache_keys']} cache keys, queue 'celery' {figures['queue']} tasks, "
        f"{figures['unacked']} delivered and not acknowledged"
    )
    return figures
