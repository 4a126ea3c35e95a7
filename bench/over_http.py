"""Over HTTP, both servers: `make run`'s and the scaled-out setup's, side by side.

One throwaway embedded-mode data dir (SQLite, media, secret key) holds the data both
servers read: an Enterprise user with 1,000 images, seeded as :mod:`bench.reads` seeds
them, and for the scale check users with 10,000 and 50,000. Then, in one run:

* in process (a child process running Django; Django's test client through the full
  middleware stack, no sockets): a cached images-list hit against ``/healthz``, in
  interleaved rounds;
* over HTTP, both servers up at once on loopback: ``make run``'s
  (``python -m imageapi.serve``: WEB_PROCESSES left to its default, one per core,
  WEB_THREADS=4, the diskcache in the data dir) and compose's (gunicorn with 2 sync
  workers and docker-compose.yml's options, the cache in a private redis-server).
  CLIENTS threads that ask for gzip as browsers do but never decompress (a remote
  client's CPU would; this machine's is the servers') and keep their connection for as
  long as the server allows; per round every target once, both servers back to back, the order
  rotating: ``/healthz`` (the floor of the stack), the images list cached (one URL,
  warmed), uncached (a new URL each request) and the thumbnails list cached;
* scale: the full images list (no ``limit``) of 10,000 and of 50,000 images from
  ``make run``'s server, started afresh for each size: the time, and how far the serving
  process's peak RSS (VmHWM) rises over a warmed server's.

API_CACHE_SECONDS is 600 on both servers, so no entry expires during the run; the share
of the cached targets' answers that were hits (``X-Cache``) is reported: diskcache
answers a read that meets another process's write lock as a miss, which is then built.
The targets are printed last, each MET or MISSED.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.api import REPO_ROOT, embedded_env, manage, percentile
from bench.reads import IMAGES, seed
from tests import live_server

SCALE_SIZES = (10_000, 50_000)
CLIENTS = 4
WEB_THREADS = 4  # `make run`'s default
GUNICORN_WORKERS = 2
# docker-compose.yml's `web` command, less --bind (loopback here) and --workers (above);
# tests.live_server adds --access-logfile=- and --no-control-socket as compose has them.
COMPOSE_GUNICORN_OPTIONS = ("--forwarded-allow-ips=*", "--graceful-timeout=25")
CACHE_SECONDS = 600
ROUNDS = 3
SECONDS = 2.0  # per target, server and round
WARMUP_SECONDS = 0.5
IN_PROCESS_ROUNDS = 200
SCALE_REPEATS = 5
REQUEST_TIMEOUT = 120
HOST = "127.0.0.1"
IMAGES_PATH = "/api/user/images/"
THUMBNAILS_PATH = "/api/user/thumbnails/"

TARGET_HIT_VS_HEALTHZ = 0.6
TARGET_VS_GUNICORN = 0.9
TARGET_IN_PROCESS = 1.5
TARGET_SCALE_GROWTH_MB = 30
TARGET_LINEAR = 1.25  # ms per 1,000 images at the larger size / at the smaller

MAKE_RUN, GUNICORN = "make run", "gunicorn x2"


@dataclass(frozen=True)
class Target:
    """What the clients ask for: ``path`` with ``{n}`` made unique per request."""

    name: str
    path: str
    auth: bool = True
    # True: one URL, warmed (the share of hits is reported); False: a hit is an error.
    cached: bool | None = None
    answer: str | None = None  # the list whose length the answer must have


HEALTHZ = Target("/healthz", "/healthz", auth=False)
IMAGES_HIT = Target("images list, cached", IMAGES_PATH, cached=True, answer="images")
# An unknown query parameter: the full list still, under a URL the cache has not seen.
IMAGES_MISS = Target("images list, uncached", IMAGES_PATH + "?_={n}", cached=False, answer="images")
THUMBNAILS_HIT = Target(
    "thumbnails list, cached", THUMBNAILS_PATH, cached=True, answer="thumbnails"
)
TARGETS = (HEALTHZ, IMAGES_HIT, IMAGES_MISS, THUMBNAILS_HIT)


def rotated(items: list, n: int) -> list:
    return items[n % len(items) :] + items[: n % len(items)]


# ------------------------------------------------------------------ in the child process


def child(results_path: str, images: int, sizes: list[int], rounds: int) -> None:
    """Seed the database, measure a cached hit against /healthz in process; write JSON."""
    import django

    django.setup()
    from django.test import Client

    started = time.perf_counter()
    _, token = seed("bench-http", images)
    scale = {str(count): seed(f"bench-http-{count}", count)[1] for count in sizes}
    seeded = time.perf_counter() - started
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST=HOST)
    lengths = {
        "images": len(_json(client.get(IMAGES_PATH))),
        "thumbnails": len(_json(client.get(THUMBNAILS_PATH))),
    }
    if lengths["images"] != images:
        raise RuntimeError(f"the images list has {lengths['images']} entries, not {images}")
    results = {
        "token": token,
        "scale_tokens": scale,
        "lengths": lengths,
        "seeded_seconds": seeded,
        "in_process": measure_in_process(client, rounds),
    }
    Path(results_path).write_text(json.dumps(results))


def measure_in_process(client, rounds: int) -> dict[str, dict[str, float]]:
    """Medians of /healthz and of a cached images-list hit, interleaved round by round."""
    cases = {HEALTHZ.name: HEALTHZ.path, IMAGES_HIT.name: IMAGES_PATH}

    def get(name: str) -> float:
        gc.collect()
        started = time.perf_counter()
        response = client.get(cases[name])
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {response.status_code} {response.content[:200]!r}")
        if name == IMAGES_HIT.name and response.get("X-Cache") != "hit":
            raise RuntimeError(f"{name}: not a cache hit (X-Cache {response.get('X-Cache')!r})")
        return elapsed

    for name in cases:  # warm-up; fills the cache
        client.get(cases[name])
    gc.freeze()  # what is alive now stays: each gc.collect() sees only the request's garbage
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for n in range(rounds):
        for name in rotated(list(cases), n):
            timings[name].append(get(name))
    return {
        name: {"median": statistics.median(values), "min": min(values)}
        for name, values in timings.items()
    }


# ------------------------------------------------------------------ the clients


@dataclass
class Tally:
    """What the clients saw of one target on one server, over every round."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    connections: int = 0
    closed: int = 0  # answers after which the server closed the connection
    hits: int = 0
    sizes: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.wall += other.wall
        self.connections += other.connections
        self.closed += other.closed
        self.hits += other.hits
        self.sizes |= other.sizes
        self.errors += other.errors

    def summary(self) -> dict:
        requests = len(self.latencies)
        return {
            "requests": requests,
            "rps": requests / self.wall,
            "p50": percentile(self.latencies, 0.5),
            "p90": percentile(self.latencies, 0.9),
            "bytes": max(self.sizes),
            "connections": self.connections,
            "hits": self.hits / requests,
            "closed": self.closed,
            "keep_alive": self.closed == 0,
        }


_unique = itertools.count()
_RUN = uuid.uuid4().hex[:8]


def _problem(target: Target, response: http.client.HTTPResponse) -> str | None:
    """Why this answer is not the one ``target`` stands for (None when it is)."""
    if response.status != 200:
        return f"status {response.status}"
    if target.cached is False and response.getheader("X-Cache") == "hit":
        return "a cache hit"
    return None


def load(
    port: int, target: Target, token: str, seconds: float, *, keep_alive: bool = True
) -> Tally:
    """GETs of ``target`` by CLIENTS threads for ``seconds`` (at least one each).

    Each thread keeps one connection for as long as the server allows (with
    ``keep_alive``): http.client opens a new one when the server closed it.
    """
    headers = {"Accept-Encoding": "gzip"}
    if target.auth:
        headers["Authorization"] = f"Token {token}"
    tally, lock = Tally(), threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        mine = Tally()
        conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            while True:
                path = target.path.format(n=f"{_RUN}{next(_unique)}")
                mine.connections += conn.sock is None
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    problem = _problem(target, response)
                    mine.hits += response.getheader("X-Cache") == "hit"
                    mine.closed += response.will_close
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    body, problem = b"", repr(exc)
                finished = time.perf_counter()
                mine.latencies.append(finished - started)
                mine.sizes.add(len(body))
                if problem:
                    mine.errors.append(f"GET {path}: {problem} {body[:100]!r}")
                if not keep_alive:
                    conn.close()
                if finished >= deadline:
                    break
        finally:
            conn.close()
            with lock:
                tally.add(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.wall = time.perf_counter() - started
    if tally.errors:
        raise RuntimeError(
            f"{len(tally.errors)} of {len(tally.latencies)} failed: {tally.errors[0]}"
        )
    return tally


def _json(response) -> list:
    """A list answer, whole or streamed (a large account's list is streamed)."""
    if response.streaming:
        return json.loads(b"".join(response.streaming_content))
    return response.json()


def get(port: int, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on a new connection, without gzip: (status, headers, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path, headers={"Authorization": f"Token {token}"} if token else {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def check_list(status: int, body: bytes, length: int, what: str) -> None:
    """The answer is a JSON array of ``length`` entries, or the bench stops."""
    if status != 200:
        raise RuntimeError(f"{what}: status {status} {body[:200]!r}")
    entries = json.loads(body)
    if not isinstance(entries, list) or len(entries) != length:
        count = len(entries) if isinstance(entries, list) else type(entries).__name__
        raise RuntimeError(f"{what}: {count} entries, not {length}")


# ------------------------------------------------------------------ the servers


def redis_server(port: int, workdir: Path) -> live_server.Process:
    """A private redis-server on loopback that keeps nothing on disk."""
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    return live_server.Process(f"redis-server :{port}", argv, workdir / "redis.log", cwd=workdir)


def _redis_answers(port: int) -> bool:
    import redis

    return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=1).ping())


def make_run_server(env: dict[str, str], log: Path) -> live_server.Process:
    """`make run`'s server as `make run` starts it (one process per core, WEB_THREADS)."""
    env = {**env, "WEB_THREADS": str(WEB_THREADS)}
    return live_server.waitress_server(live_server.free_port(), env, log)


@contextlib.contextmanager
def both_servers(env: dict[str, str], workdir: Path) -> Iterator[dict[str, int]]:
    """`make run`'s server and compose's gunicorn with Redis; yields their ports.

    Everything started is stopped on the way out, whatever happened.
    """
    with contextlib.ExitStack() as stack:
        redis_port = live_server.free_port()
        cache = stack.enter_context(redis_server(redis_port, workdir))
        cache.wait_until("redis answering PING", lambda: _redis_answers(redis_port))
        waitress = stack.enter_context(make_run_server(env, workdir / "make-run.log"))
        gunicorn_env = {**env, "CACHE_URL": f"redis://127.0.0.1:{redis_port}/0"}
        gunicorn = stack.enter_context(
            live_server.gunicorn_server(
                live_server.free_port(),
                gunicorn_env,
                workdir / "gunicorn.log",
                f"--workers={GUNICORN_WORKERS}",
                *COMPOSE_GUNICORN_OPTIONS,
            )
        )
        waitress.wait_healthy()
        gunicorn.wait_healthy()
        yield {MAKE_RUN: _port(waitress), GUNICORN: _port(gunicorn)}


def _port(server: live_server.Process) -> int:
    return int(server.base.rsplit(":", 1)[1])


def _serving_pids(pid: int) -> list[int]:
    """The processes that serve: the supervisor's children (found in /proc), or itself."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            status = (entry / "status").read_text()
            if _field_kb(status, "PPid") == pid:
                children.append(int(entry.name))
    return sorted(children) or [pid]


def _field_kb(status: str, name: str) -> int:
    for line in status.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise KeyError(name)


def _memory_kb(pid: int, name: str) -> int:
    return _field_kb(Path(f"/proc/{pid}/status").read_text(), name)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


# ------------------------------------------------------------------ measuring


def compare(
    ports: dict[str, int], token: str, lengths: dict[str, int], rounds: int, seconds: float
) -> dict[str, dict[str, dict]]:
    """Every target on both servers, alternating; {server: {target: summary}}."""
    for server, port in ports.items():
        for target in TARGETS:
            if target.answer:  # fills the cache, and checks the answer is the whole list
                status, _, body = get(port, target.path.format(n="check"), token)
                check_list(status, body, lengths[target.answer], f"{server} {target.name}")
            load(port, target, token, WARMUP_SECONDS)
    tallies = {(server, target.name): Tally() for server in ports for target in TARGETS}
    for n in range(rounds):
        for target in rotated(list(TARGETS), n):
            for server in rotated(list(ports), n):
                tallies[server, target.name].add(load(ports[server], target, token, seconds))
    return {
        server: {target.name: tallies[server, target.name].summary() for target in TARGETS}
        for server in ports
    }


def _warm_every_process(port: int, token: str, pids: list[int]) -> None:
    """Small uncached pages on new connections until every serving process took some.

    A process's first API request imports DRF and the views; that is not the list's cost.
    """
    page = Target("a page", IMAGES_PATH + "?limit=10&_={n}", cached=False)
    served: set[int] = set()
    for _ in range(10):
        before = {pid: _cpu_ticks(pid) for pid in pids}
        load(port, page, token, WARMUP_SECONDS, keep_alive=False)
        served |= {pid for pid in pids if _cpu_ticks(pid) - before[pid] >= 3}
        if served == set(pids):
            return
    raise RuntimeError(f"warm-up reached {len(served)} of {len(pids)} server processes")


def full_list(env: dict[str, str], workdir: Path, count: int, token: str, repeats: int) -> dict:
    """The full images list of ``count`` images from a fresh `make run` server."""
    with make_run_server(env, workdir / f"scale-{count}.log") as server:
        server.wait_healthy()
        port, pids = _port(server), _serving_pids(server.pid)
        _warm_every_process(port, token, pids)
        before = {pid: _memory_kb(pid, "VmHWM") for pid in pids}
        rss = {pid: _memory_kb(pid, "VmRSS") for pid in pids}
        times, size = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            status, headers, body = get(port, IMAGES_PATH, token)
            times.append(time.perf_counter() - started)
            check_list(status, body, count, f"the full list of {count:,} images")
            size = len(body)
            del body
        after = {pid: _memory_kb(pid, "VmHWM") for pid in pids}
    growth = {pid: after[pid] - before[pid] for pid in pids}
    serving = max(growth, key=growth.__getitem__)
    return {
        "count": count,
        "seconds": statistics.median(times),
        "times": times,
        "bytes": size,
        "streamed": "Content-Length" not in headers,
        "processes": len(pids),
        "rss_kb": rss[serving],
        "peak_kb": after[serving],
        "growth_kb": growth[serving],
    }


def measure(
    workdir: Path,
    *,
    images: int = IMAGES,
    sizes: tuple[int, ...] = SCALE_SIZES,
    rounds: int = ROUNDS,
    seconds: float = SECONDS,
    in_process_rounds: int = IN_PROCESS_ROUNDS,
    repeats: int = SCALE_REPEATS,
) -> dict:
    """Seed, measure in process, then both servers over HTTP, then the scale check."""
    workdir = workdir / "http"
    workdir.mkdir(parents=True, exist_ok=True)
    env = embedded_env(workdir / "data", API_CACHE_SECONDS=str(CACHE_SECONDS))
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    results_path = workdir / "child.json"
    command = [sys.executable, "-m", "bench.over_http", "--child", str(results_path)]
    command += [str(images), ",".join(map(str, sizes)), str(in_process_rounds)]
    subprocess.run(
        command,
        env={**env, "DJANGO_SETTINGS_MODULE": "imageapi.settings"},
        cwd=REPO_ROOT,
        check=True,
    )
    results = json.loads(results_path.read_text())
    with both_servers(env, workdir) as ports:
        results["http"] = compare(ports, results["token"], results["lengths"], rounds, seconds)
    results["scale"] = [
        full_list(env, workdir, count, results["scale_tokens"][str(count)], repeats)
        for count in sizes
    ]
    results["setup"] = {"images": images, "rounds": rounds, "seconds": seconds}
    return results


# ------------------------------------------------------------------ reporting


def report(results: dict) -> None:
    setup, http = results["setup"], results["http"]
    print(f"  seeded in {results['seeded_seconds']:.0f} s (SQLite, one data dir for both servers)")
    in_process = results["in_process"]
    print("\n  in process (Django's test client, the whole middleware stack), medians:")
    for name, entry in in_process.items():
        print(f"  {name:32} {entry['median'] * 1000:7.2f} ms  (min {entry['min'] * 1000:.2f})")
    print(
        f"\n  over HTTP: {CLIENTS} client threads asking for gzip, never decompressing; "
        f"{setup['rounds']} rounds of {setup['seconds']:g} s per target and server, alternating"
    )
    for server, by_target in http.items():
        print(f"  {server}: connections {_keep_alive(by_target)}")
    print(
        f"  {'':26} {'server':12} {'req/s':>8} {'p50':>9} {'p90':>9} {'bytes':>9}"
        f" {'requests':>9} {'conns':>7} {'hits':>5}"
    )
    for target in TARGETS:
        for server in http:
            r = http[server][target.name]
            print(
                f"  {target.name:26} {server:12} {r['rps']:8.1f} {r['p50'] * 1000:6.1f} ms"
                f" {r['p90'] * 1000:6.1f} ms {r['bytes']:9,} {r['requests']:9,}"
                f" {r['connections']:7,}"
                f" {r['hits']:5.0%}"
            )
    print("\n  scale: the full images list from `make run`'s server (fresh for each size)")
    for entry in results["scale"]:
        per_thousand = entry["seconds"] * 1000 / (entry["count"] / 1000)
        print(
            f"  {entry['count']:7,} images: {entry['seconds'] * 1000:7,.0f} ms "
            f"({per_thousand:5.1f} ms per 1,000), {entry['bytes'] / 1e6:5.1f} MB, "
            f"{'streamed' if entry['streamed'] else 'with Content-Length'}; peak RSS "
            f"{entry['rss_kb'] / 1024:.0f} -> {entry['peak_kb'] / 1024:.0f} MB "
            f"(+{entry['growth_kb'] / 1024:.1f} MB) in 1 of {entry['processes']} processes"
        )
        runs = ", ".join(f"{seconds * 1000:,.0f}" for seconds in entry["times"])
        print(f"  {'':15} each run, ms: {runs}")
    small, large = results["scale"][0], results["scale"][-1]
    if large["count"] > small["count"]:
        marginal = (large["seconds"] - small["seconds"]) / (large["count"] - small["count"])
        print(f"  each 1,000 images more: {marginal * 1e6:.1f} ms (the medians' difference)")


def _keep_alive(by_target: dict[str, dict]) -> str:
    """How the server treated the clients' connections, in words."""
    closing = [name for name, entry in by_target.items() if not entry["keep_alive"]]
    if not closing:
        return "kept alive"
    if len(closing) == len(by_target):
        return "closed by the server after every answer"
    return f"kept alive, but closed by the server after every answer of: {', '.join(closing)}"


def targets(results: dict) -> list[tuple[str, str, bool]]:
    """The goals of this section: (goal, value, met)."""
    http, lines = results["http"], []
    for server in (MAKE_RUN, GUNICORN):
        ratio = http[server][IMAGES_HIT.name]["rps"] / http[server][HEALTHZ.name]["rps"]
        lines.append(
            (
                f"{server}: cached images list >= {TARGET_HIT_VS_HEALTHZ}x /healthz's req/s",
                f"{ratio:.2f}x",
                ratio >= TARGET_HIT_VS_HEALTHZ,
            )
        )
    for target in (IMAGES_MISS, IMAGES_HIT):
        ratio = http[MAKE_RUN][target.name]["rps"] / http[GUNICORN][target.name]["rps"]
        lines.append(
            (
                f"make run: {target.name} >= {TARGET_VS_GUNICORN}x gunicorn x2's req/s",
                f"{ratio:.2f}x",
                ratio >= TARGET_VS_GUNICORN,
            )
        )
    in_process = results["in_process"]
    ratio = in_process[IMAGES_HIT.name]["median"] / in_process[HEALTHZ.name]["median"]
    lines.append(
        (
            f"in process: a cached images-list hit <= {TARGET_IN_PROCESS}x a /healthz request",
            f"{ratio:.2f}x",
            ratio <= TARGET_IN_PROCESS,
        )
    )
    small, large = results["scale"][0], results["scale"][-1]
    growth_mb = large["growth_kb"] / 1024
    lines.append(
        (
            f"full list of {large['count']:,} images: peak RSS growth <= "
            f"{TARGET_SCALE_GROWTH_MB} MB",
            f"+{growth_mb:.1f} MB",
            growth_mb <= TARGET_SCALE_GROWTH_MB,
        )
    )
    per = [entry["seconds"] / entry["count"] for entry in (small, large)]
    lines.append(
        (
            f"full list time linear: per 1,000 images at {large['count']:,} <= "
            f"{TARGET_LINEAR}x at {small['count']:,}",
            f"{per[1] * 1e6:.1f} vs {per[0] * 1e6:.1f} ms ({per[1] / per[0]:.2f}x)",
            per[1] / per[0] <= TARGET_LINEAR,
        )
    )
    return lines


def print_targets(results: dict) -> None:
    print("\n  targets over HTTP")
    for goal, value, met in targets(results):
        print(f"  {'MET' if met else 'MISSED':8} {goal}: {value}")


def section_http(ctx) -> None:
    """Bench section: `make run`'s server against compose's gunicorn, and the scale check."""
    from bench.thumbnails import heading

    heading("over HTTP, both servers: `make run`'s waitress vs gunicorn x2 with Redis")
    results = measure(ctx.workdir)
    ctx.results["http"] = results
    report(results)
    print_targets(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.over_http", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        path, images, sizes, rounds = args.child
        child(path, int(images), [int(s) for s in sizes.split(",") if s], int(rounds))
        return 0
    started = time.perf_counter()
    print(
        f"both servers over HTTP: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        results = measure(Path(tmp), rounds=args.rounds, seconds=args.seconds)
    report(results)
    print_targets(results)
    print(f"\ndone in {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
