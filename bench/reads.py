"""The read path: our images and thumbnails lists against conventional DRF code.

One Enterprise user gets 1,000 images (rows and thumbnail rows; list answers read no
files) in a throwaway embedded-mode service; a second user gets 10, to show that query
counts do not grow with the list. Then:

* in process (a child process running Django, the requests through Django's full
  handler and middleware, no sockets): the conventional implementation of
  :mod:`bench.conventional` and ours, side by side in rounds whose order rotates, for
  the images list (ours on a cache miss, with the cache off, and on a hit), the
  thumbnails list and one image; medians, response sizes and queries per request;
* the images list factor by factor: from the conventional list, one change at a time
  (the renderer, the links, rows instead of instances and serializers, the cache), each
  step against the previous one as the median of its per-round ratios (both measured
  in the same round, so drift of a busy machine cancels out);
* over HTTP: the same lists from gunicorn as ``make run`` starts it (one process, four
  threads) with four concurrent clients, in alternating rounds: req/s, p50, p90. The
  server runs :mod:`bench.settings`, the product's settings plus the conventional
  views under ``/bench/conventional/``.

The targets of the read path are printed last, each MET or MISSED.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.api import REPO_ROOT, _request, embedded_env, manage, percentile, serving

IMAGES = 1000
FEW_IMAGES = 10
SEED_BATCH = 5_000
SETTINGS_MODULE = "bench.settings"
CONVENTIONAL = "/bench/conventional"
OURS = "/api/user"
HOST = "127.0.0.1"
HTTP_CLIENTS = 4
HTTP_THREADS = 4  # `make run`'s WEB_THREADS
HTTP_SECONDS = 2  # per target and round

TARGET_MISS = 0.5
TARGET_HIT = 0.1
TARGET_LIST_BYTES = 250_000


# ------------------------------------------------------------------ in the child process


def seed(username: str, count: int):
    """A user of the Enterprise tier with ``count`` images and their canonical thumbnails.

    Rows are written in batches of SEED_BATCH, so 50,000 images cost no more memory than 5,000.
    """
    import secrets

    from rest_framework.authtoken.models import Token

    from accounts.services import create_or_update_user
    from accounts.tiers import entitlements

    user, _ = create_or_update_user(username, password=secrets.token_hex(16), tier="Enterprise")
    heights = entitlements(user).heights
    for start in range(0, count, SEED_BATCH):
        _seed_batch(user, heights, range(start, min(count, start + SEED_BATCH)))
    token, _ = Token.objects.get_or_create(user=user)
    return user, token.key


def _seed_batch(user, heights, numbers: range) -> None:
    import secrets

    from images import processing
    from images.models import Image, Thumbnail

    shapes = [(4032, 3024, "JPEG"), (3024, 4032, "JPEG"), (1600, 1200, "PNG"), (300, 150, "PNG")]
    images = []
    for n in numbers:
        width, height, fmt = shapes[n % len(shapes)]
        key = secrets.token_hex(16)
        images.append(
            Image(
                owner=user,
                key=key,
                file=f"originals/{key}.{fmt.lower()}",
                width=width,
                height=height,
                format=fmt,
                thumbnail_format=fmt,
                size=2_000_000 + n,
                sha256=secrets.token_hex(32),
                placeholder="LEHV6nWB2yk8pyo0adR*.7kCMdnj",  # a BlurHash is 28 characters
            )
        )
    Image.objects.bulk_create(images)
    thumbnails = []
    for image in Image.objects.filter(owner=user, key__in=[image.key for image in images]):
        sizes = processing.plan_sizes(image.width, image.height, heights)
        for height in heights:
            width, actual = sizes[height]
            thumbnails.append(
                Thumbnail(
                    image=image,
                    height=height,
                    format=image.format,
                    file=f"thumbnails/{image.key}-{height}.{image.format.lower()}",
                    width=width,
                    actual_height=actual,
                    size=20_000,
                )
            )
    Thumbnail.objects.bulk_create(thumbnails)


@dataclass
class Case:
    """One request measured in process; ``prepare`` runs untimed just before it."""

    name: str
    path: str
    client: object
    prepare: object = None
    cache_off: bool = False
    expect_hit: bool = False

    def call(self):
        if self.prepare:
            self.prepare()
        gc.collect()
        return self.request()

    def request(self):
        from django.test import override_settings

        if self.cache_off:
            with override_settings(API_CACHE_SECONDS=0):
                started = time.perf_counter()
                response = self.client.get(self.path)
                elapsed = time.perf_counter() - started
        else:
            started = time.perf_counter()
            response = self.client.get(self.path)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{self.name}: {response.status_code} {response.content[:200]!r}")
        if (response.get("X-Cache") == "hit") != self.expect_hit:
            raise RuntimeError(f"{self.name}: X-Cache is {response.get('X-Cache')!r}")
        return elapsed, response


def _queries(case: Case) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if case.prepare:
        case.prepare()
    with CaptureQueriesContext(connection) as captured:
        case.request()
    return len(captured)


# The images list, one factor at a time: (factor, case before, case after).
FACTORS = [
    ("renderer: orjson, not DRF's stdlib json", "conventional, json", "conventional"),
    ("links: the link maker, not reverse() per link", "conventional", "conventional, links"),
    (
        "rows: .values() + dicts, not instances + serializers",
        "conventional, links",
        "ours, cache off",
    ),
    ("cache: filling it on a miss (render, gzip, store)", "ours, cache off", "ours, miss"),
    ("cache: a hit, not a miss", "ours, miss", "ours, hit"),
]


def paired_ratios(after: list[float], before: list[float]) -> list[float]:
    """``after / before`` round by round: both ran in the same round, next to each other."""
    return [a / b for a, b in zip(after, before, strict=True)]


def _factors(timings: dict[str, list[float]]) -> list[dict]:
    steps = []
    for factor, before, after in FACTORS:
        ratios = paired_ratios(timings[after], timings[before])
        saved = statistics.median(
            [b - a for a, b in zip(timings[after], timings[before], strict=True)]
        )
        steps.append(
            {
                "factor": factor,
                "before": before,
                "after": after,
                "ratio": statistics.median(ratios),
                "min": min(ratios),
                "max": max(ratios),
                "saved": saved,
            }
        )
    return steps


def _print_factors(steps: list[dict], timings: dict[str, list[float]]) -> None:
    start = statistics.median(timings[FACTORS[0][1]])
    print(f"\n  images list, factor by factor from conventional code ({start * 1000:.0f} ms):")
    print("  each step's time / the previous step's: median of per-round ratios [min-max],")
    print("  and the median change in time")
    for step in steps:
        print(
            f"  {step['factor']:52} x{step['ratio']:6.3f} [{step['min']:.3f}-{step['max']:.3f}]"
            f"  ({-step['saved'] * 1000:+6.1f} ms)"
        )


def _same_answers(answers: dict) -> list[str]:
    """The cases whose JSON differs from the conventional answer (links included)."""
    conventional = json.loads(answers["conventional"].content)
    return [
        name for name, response in answers.items() if json.loads(response.content) != conventional
    ]


def child(results_path: str, rounds: int) -> None:
    """Seed the database and measure in process; print a table, write JSON for the parent."""
    import django

    django.setup()
    from django.test import Client

    from images.api.cache import invalidate_user

    user, key = seed("bench-reads", IMAGES)
    few_user, few_key = seed("bench-reads-few", FEW_IMAGES)
    client = Client(HTTP_AUTHORIZATION=f"Token {key}", HTTP_HOST=HOST)
    few_client = Client(HTTP_AUTHORIZATION=f"Token {few_key}", HTTP_HOST=HOST)
    image_id = user.images.order_by("-created_at", "-id").values_list("pk", flat=True)[IMAGES // 2]

    def fresh_version() -> None:
        invalidate_user(user.pk)

    def warm(path: str):
        return lambda: client.get(path)

    groups: dict[str, list[Case]] = {
        "images list": [
            Case("conventional, json", f"{CONVENTIONAL}/json/images/", client),
            Case("conventional", f"{CONVENTIONAL}/images/", client),
            Case("conventional, links", f"{CONVENTIONAL}/links/images/", client),
            Case("ours, miss", f"{OURS}/images/", client, prepare=fresh_version),
            Case("ours, cache off", f"{OURS}/images/", client, cache_off=True),
            Case("ours, hit", f"{OURS}/images/", client, warm(f"{OURS}/images/"), expect_hit=True),
        ],
        "thumbnails list": [
            Case("conventional", f"{CONVENTIONAL}/thumbnails/", client),
            Case("ours, miss", f"{OURS}/thumbnails/", client, prepare=fresh_version),
            Case(
                "ours, hit",
                f"{OURS}/thumbnails/",
                client,
                warm(f"{OURS}/thumbnails/"),
                expect_hit=True,
            ),
        ],
        "one image": [
            Case("conventional", f"{CONVENTIONAL}/images/{image_id}/", client),
            Case("ours, miss", f"{OURS}/images/{image_id}/", client, prepare=fresh_version),
            Case(
                "ours, hit",
                f"{OURS}/images/{image_id}/",
                client,
                warm(f"{OURS}/images/{image_id}/"),
                expect_hit=True,
            ),
        ],
    }
    results: dict = {"token": key, "image_id": image_id, "groups": {}}
    print(f"  in process: {rounds} rounds after a warm-up, order rotated each round; medians")
    print(f"  {'':16} {'':20} {'median':>9} {'min':>9} {'bytes':>9} {'gzip':>8} {'queries':>8}")
    for group, cases in groups.items():
        answers = {case.name: case.call()[1] for case in cases}  # warm-up
        gc.freeze()  # what is alive now stays: each call's gc.collect() sees only its garbage
        timings: dict[str, list[float]] = {case.name: [] for case in cases}
        for n in range(rounds):
            for case in cases[n % len(cases) :] + cases[: n % len(cases)]:
                timings[case.name].append(case.call()[0])
        entry = {}
        for case in cases:
            queries = _queries(case)
            queries_few = None
            if "list" in group:
                # The same request of a user with FEW_IMAGES images.
                small = Case(case.name, case.path, few_client, cache_off=case.cache_off)
                if case.expect_hit:
                    small.prepare, small.expect_hit = (lambda p=case.path: few_client.get(p)), True
                elif case.prepare:
                    small.prepare = lambda: invalidate_user(few_user.pk)
                queries_few = _queries(small)
            size = len(answers[case.name].content)
            # What a client that accepts gzip (every browser, curl --compressed) receives.
            wire = case.client.get(case.path, HTTP_ACCEPT_ENCODING="gzip")
            gzipped = len(wire.content)
            median = statistics.median(timings[case.name])
            entry[case.name] = {
                "median": median,
                "min": min(timings[case.name]),
                "bytes": size,
                "gzipped": gzipped,
                "queries": queries,
                "queries_few": queries_few,
            }
            counted = f"{queries}" if queries_few is None else f"{queries} ({queries_few})"
            fastest = min(timings[case.name])
            print(
                f"  {group:16} {case.name:20} {median * 1000:6.1f} ms {fastest * 1000:6.1f} ms"
                f" {size:9,} {gzipped:8,} {counted:>8}"
            )
        differ = _same_answers(answers)
        entry["same_answers"] = not differ
        if differ:
            print(f"  !! {group}: {', '.join(differ)} answer otherwise than conventional code")
        if group == "images list":
            entry["link_chars"] = len(json.loads(answers["ours, miss"].content)[0]["image"])
            entry["factors"] = _factors(timings)
            images_timings = timings
        results["groups"][group] = entry
    print(f"  queries: per request at {IMAGES:,} images (and at {FEW_IMAGES})")
    if all(entry["same_answers"] for entry in results["groups"].values()):
        links = results["groups"]["images list"]["link_chars"]
        print(f"  every answer equals the conventional one, links included ({links} characters)")
    _print_factors(results["groups"]["images list"]["factors"], images_timings)
    Path(results_path).write_text(json.dumps(results))


# ------------------------------------------------------------------ over HTTP


def _load(port: int, path: str, token: str, seconds: float) -> tuple[list[float], float, int]:
    """GETs of ``path`` by HTTP_CLIENTS clients for ``seconds`` (at least one each).

    Returns the latencies, the wall time and the size of the answer.
    """
    headers = {"Authorization": f"Token {token}", "Host": HOST}
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        while True:
            started = time.perf_counter()
            try:
                status, body = _request(port, "GET", path, headers=headers)
            except OSError as exc:
                status, body = 0, str(exc).encode()
            finished = time.perf_counter()
            with lock:
                if status != 200:
                    errors.append(f"{status} {body[:100]!r}")
                latencies.append(finished - started)
                sizes.append(len(body))
            if finished >= deadline:
                return

    threads = [threading.Thread(target=client) for _ in range(HTTP_CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"GET {path}: {len(errors)} failed, e.g. {errors[0]}")
    return latencies, wall, max(sizes)


def _http_rounds(port: int, token: str, targets: dict[str, str], rounds: int) -> dict:
    """Alternate the targets (name -> path) round by round, HTTP_SECONDS each time."""
    names = list(targets)
    for name in names:  # warm-up (and fills our cache)
        status, body = _request(
            port, "GET", targets[name], headers={"Authorization": f"Token {token}"}
        )
        if status != 200:
            raise RuntimeError(f"GET {targets[name]}: {status} {body[:200]!r}")
    collected: dict[str, tuple[list[float], float, int]] = {name: ([], 0.0, 0) for name in names}
    for n in range(rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            latencies, wall, size = _load(port, targets[name], token, HTTP_SECONDS)
            old = collected[name]
            collected[name] = (old[0] + latencies, old[1] + wall, size)
    return {
        name: {
            "requests": len(lat),
            "rps": len(lat) / wall,
            "p50": percentile(lat, 0.5),
            "p90": percentile(lat, 0.9),
            "bytes": size,
        }
        for name, (lat, wall, size) in collected.items()
    }


def _print_http(results: dict) -> None:
    for name, r in results.items():
        print(
            f"  {name:32} {r['rps']:7.1f} req/s  p50 {r['p50'] * 1000:6.1f} ms"
            f"  p90 {r['p90'] * 1000:6.1f} ms  ({r['requests']} requests, {r['bytes']:,} bytes)"
        )


# ------------------------------------------------------------------ the section


def measure(workdir: Path, rounds: int, http_rounds: int) -> dict:
    data_dir = workdir / "reads-data"
    env = embedded_env(data_dir, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE)
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    results_path = workdir / "reads.json"
    command = [sys.executable, "-m", "bench.reads", "--child", str(results_path), str(rounds)]
    subprocess.run(command, env=env, cwd=REPO_ROOT, check=True)
    results = json.loads(results_path.read_text())
    token, image_id = results["token"], results["image_id"]

    workers = f"gunicorn, 1 process x {HTTP_THREADS} threads"
    print(
        f"\n  over HTTP ({workers}, SQLite): {HTTP_CLIENTS} concurrent clients, "
        f"{http_rounds} alternating rounds of {HTTP_SECONDS:g} s; a new connection per request"
    )
    print("  cache off (API_CACHE_SECONDS=0): every answer is built")
    with serving({**env, "API_CACHE_SECONDS": "0"}, threads=HTTP_THREADS) as port:
        built = _http_rounds(
            port,
            token,
            {
                "images list, conventional": f"{CONVENTIONAL}/images/",
                "images list, ours": f"{OURS}/images/",
                "thumbnails list, conventional": f"{CONVENTIONAL}/thumbnails/",
                "thumbnails list, ours": f"{OURS}/thumbnails/",
            },
            http_rounds,
        )
    _print_http(built)
    print("  cache on (the default, 15 s): ours served from the per-user cache")
    with serving(env, threads=HTTP_THREADS) as port:
        cached = _http_rounds(
            port,
            token,
            {
                "images list, ours (cached)": f"{OURS}/images/",
                "thumbnails list, ours (cached)": f"{OURS}/thumbnails/",
                "one image, ours (cached)": f"{OURS}/images/{image_id}/",
            },
            http_rounds,
        )
    _print_http(cached)
    results["http"] = {**built, **cached}
    return results


def targets(results: dict) -> list[tuple[str, str, bool]]:
    groups = results["groups"]
    images, thumbs = groups["images list"], groups["thumbnails list"]
    conv = images["conventional"]["median"]
    miss = images["ours, miss"]["median"] / conv
    hit = images["ours, hit"]["median"] / conv
    size = images["ours, miss"]["gzipped"]
    json_size = images["ours, miss"]["bytes"]
    thumb_ratio = thumbs["ours, miss"]["median"] / thumbs["conventional"]["median"]
    thumb_queries = thumbs["ours, miss"]["queries"], thumbs["ours, miss"]["queries_few"]
    http = results.get("http", {})
    lines = [
        (
            f"images list, cache miss <= {TARGET_MISS}x conventional",
            f"{miss:.2f}x",
            miss <= TARGET_MISS,
        ),
        (f"images list, cache hit <= {TARGET_HIT}x conventional", f"{hit:.3f}x", hit <= TARGET_HIT),
        (
            f"images list of {IMAGES:,} Enterprise images <= {TARGET_LIST_BYTES // 1000} KB sent",
            f"{size / 1000:.0f} KB gzip ({json_size / 1000:.0f} KB of JSON)",
            size <= TARGET_LIST_BYTES,
        ),
        (
            "thumbnails list at least as fast as conventional",
            f"{thumb_ratio:.2f}x its time",
            thumb_ratio <= 1.0,
        ),
        (
            f"thumbnails list queries constant ({IMAGES:,} images vs {FEW_IMAGES})",
            f"{thumb_queries[0]} vs {thumb_queries[1]}",
            thumb_queries[0] == thumb_queries[1],
        ),
        (
            "answers equal to the conventional ones, links included",
            ", ".join(g for g, e in groups.items() if not e["same_answers"]) or "all equal",
            all(e["same_answers"] for e in groups.values()),
        ),
    ]
    if http:
        ours = http["images list, ours"]["rps"] / http["images list, conventional"]["rps"]
        lines.append(
            (
                "images list over HTTP, cache off: more req/s than conventional",
                f"{ours:.1f}x",
                ours > 1,
            )
        )
    return lines


def section_api_reads(ctx) -> None:
    """Bench section: the read path, ours against conventional DRF, in process and over HTTP."""
    from bench.thumbnails import heading

    heading(f"API reads: {IMAGES:,} images of one Enterprise user, ours vs conventional DRF")
    rounds = max(8, ctx.reps + 3)
    results = measure(ctx.workdir, rounds, http_rounds=2)
    ctx.results["api_reads"] = results
    print("\n  targets of the read path")
    for goal, value, met in targets(results):
        print(f"  {'MET' if met else 'MISSED':8} {goal}: {value}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
        child(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("usage: python -m bench.reads --child RESULTS.json ROUNDS (run by `make bench`)")
