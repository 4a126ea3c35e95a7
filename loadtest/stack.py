"""The scaled-out stack on loopback, and the faults injected into it.

The servers are started by the same helpers as the scale-out tests (tests/live_server.py,
tests/deploy/stack.py): 2 gunicorn workers behind nginx rendered from deploy/nginx/, a
Celery worker, all on the PostgreSQL, Redis and S3 servers that scripts/with-postgres
(PG_PRIVATE=1: a private server) and scripts/with-services started. A fault is recorded
with its start and the moment the stack had recovered from it; requests overlapping
that window (plus ``RECOVERY`` seconds) may fail.
"""

import os
import secrets
import signal
import socket
import time
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import redis

from loadtest.faults import Fault
from tests.deploy.stack import nginx_production_values, nginx_server
from tests.live_server import (
    Process,
    celery_worker,
    free_port,
    gunicorn_server,
    healthy,
    http,
    manage,
    redis_server,
    wait_for,
)

WEB_WORKERS = 2
WORKER_CONCURRENCY = 2


@dataclass
class Stack:
    """The running servers; ``base`` is nginx's URL, what clients use."""

    out: Path
    env: dict[str, str]
    stack: ExitStack = field(default_factory=ExitStack)
    processes: dict[str, Process] = field(default_factory=dict)
    base: str = ""
    redis_port: int = 0
    worker_log_offset: int = 0  # where the running worker's lines begin in worker.log

    # --- Start and stop -------------------------------------------------------------

    def start(self) -> "Stack":
        logs = self.out / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.redis_port = urlsplit(self.env["CACHE_URL"]).port
        self.start_worker()
        port = free_port()
        web = gunicorn_server(
            port,
            self.env,
            logs / "gunicorn.log",
            "--graceful-timeout",
            "25",
            "--forwarded-allow-ips",
            "*",
            "--log-level",
            "info",
            workers=WEB_WORKERS,
        )
        self.processes["web"] = self.stack.enter_context(web)
        web.wait_healthy()
        nginx_port = free_port()
        site = {
            **nginx_production_values(),
            "APP_UPSTREAM": f"127.0.0.1:{port}",
            "S3_UPSTREAM": self.env["AWS_S3_ENDPOINT_URL"].removeprefix("http://"),
            "NGINX_RESOLVER": "127.0.0.1",
            "STATIC_ROOT": self.env["STATIC_ROOT"],
            "LISTEN": f"127.0.0.1:{nginx_port}",
        }
        home = self.out / "nginx"
        home.mkdir(exist_ok=True)
        Path(self.env["STATIC_ROOT"]).mkdir(parents=True, exist_ok=True)
        front = nginx_server(home, site, logs / "nginx.log")
        self.processes["nginx"] = self.stack.enter_context(front)
        self.base = f"http://127.0.0.1:{nginx_port}"
        front.wait_until("nginx in front", lambda: healthy(self.base))
        return self

    def start_worker(self) -> Process:
        log = self.out / "logs" / "worker.log"
        offset = log.stat().st_size if log.exists() else 0
        self.worker_log_offset = offset
        worker = celery_worker(
            self.env,
            log,
            hostname=f"soak-{os.getpid()}-{secrets.token_hex(2)}@%h",
            concurrency=WORKER_CONCURRENCY,
        ).start()
        self.processes["worker"] = worker
        self.stack.callback(worker.stop)
        worker.wait_until(
            "the Celery worker ready",
            lambda: " ready." in log.read_text(errors="replace")[offset:],
            timeout=60,
        )
        return worker

    def close(self) -> None:
        self.stack.close()

    # --- Looking at it ---------------------------------------------------------------

    def web_processes(self) -> list[psutil.Process]:
        arbiter = psutil.Process(self.processes["web"].pid)
        return [arbiter, *arbiter.children()]

    def worker_processes(self) -> list[psutil.Process]:
        main = psutil.Process(self.processes["worker"].pid)
        return [main, *main.children(recursive=True)]

    def rss(self) -> dict[str, object]:
        """Resident memory in MiB: web (arbiter + workers), each web worker, the worker."""

        def mib(procs: list[psutil.Process]) -> dict[int, float]:
            sizes = {}
            for proc in procs:
                with suppress(psutil.Error):  # a process that just exited
                    sizes[proc.pid] = proc.memory_info().rss / 2**20
            return sizes

        web, worker = mib(self.web_processes()), mib(self.worker_processes())
        return {
            "t": time.time(),
            "web": round(sum(web.values()), 1),
            "web_workers": {str(pid): round(v, 1) for pid, v in web.items()},
            "worker": round(sum(worker.values()), 1),
        }

    def redis(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.redis_port, db=db, socket_timeout=2)

    def manage(self, *commands: list[str]) -> str:
        return manage(self.env, *commands)

    # --- Faults ----------------------------------------------------------------------

    def restart_exited_worker(self) -> dict | None:
        """If the Celery worker exited on its own, start another, as compose's
        ``restart: unless-stopped`` would; returns what happened (None: it is running)."""
        worker = self.processes["worker"]
        with open(worker.log, "rb") as file:
            file.seek(self.worker_log_offset)
            lines = file.read().decode(errors="replace").splitlines()
        if worker.alive() and not any("Unrecoverable error" in line for line in lines):
            return None
        why = next((line for line in reversed(lines) if "CRITICAL" in line), "no CRITICAL line")
        event = {"t": time.time(), "exit": worker.proc.poll(), "why": why}
        worker.stop(timeout=10)  # a worker that gave up but has not exited yet
        self.start_worker()
        event["restarted_after"] = round(time.time() - event["t"], 1)
        return event

    def kill_worker(self) -> Fault:
        """SIGKILL the Celery worker with its pool, then start a new one."""
        old = self.processes["worker"]
        fault = Fault("SIGKILL Celery worker", time.time(), note=f"pid {old.pid} and its pool")
        os.killpg(old.pid, signal.SIGKILL)
        old.proc.wait(timeout=10)
        self.start_worker()
        fault.end = time.time()
        return fault

    def kill_web_worker(self) -> Fault:
        """SIGKILL one gunicorn worker; gunicorn's arbiter starts a replacement."""
        arbiter = psutil.Process(self.processes["web"].pid)
        before = arbiter.children()
        victim = before[0]
        fault = Fault("SIGKILL gunicorn worker", time.time(), note=f"pid {victim.pid}")
        victim.send_signal(signal.SIGKILL)

        def replaced() -> bool:
            pids = {p.pid for p in arbiter.children() if p.status() != psutil.STATUS_ZOMBIE}
            return len(pids) == WEB_WORKERS and victim.pid not in pids

        wait_for("gunicorn replacing its worker", replaced, timeout=60)
        log = self.out / "logs" / "gunicorn.log"
        booted = "Booting worker with pid: {}"
        (new,) = {p.pid for p in arbiter.children()} - {p.pid for p in before}
        wait_for("the new worker booting", lambda: booted.format(new) in log.read_text(), 60)
        wait_for("the app answering through nginx", lambda: healthy(self.base), timeout=60)
        fault.end = time.time()
        return fault

    def restart_redis(self) -> Fault:
        """Stop the private Redis (cache and broker; nothing is saved) and start it again."""
        port = self.redis_port
        fault = Fault("restart Redis", time.time(), note=f"127.0.0.1:{port}, nothing persisted")
        # Over a bare socket: redis-py retries a dropped connection, for seconds.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")
            conn.recv(64)  # the server closes the connection as it exits

        def closed() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False

        wait_for("Redis stopping", closed, timeout=20)
        folder = self.out / "redis"
        folder.mkdir(exist_ok=True)
        server = self.stack.enter_context(redis_server(port, folder))
        server.wait_until("Redis answering again", self.redis().ping)
        fault.end = time.time()
        return fault

    def pause_postgres(self, seconds: float = 5.0) -> Fault:
        """SIGSTOP the private PostgreSQL server (postmaster and every backend), then SIGCONT."""
        pid = int((Path(self.env["PG_PRIVATE_DATA"]) / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        fault = Fault("SIGSTOP PostgreSQL", time.time(), note=f"{seconds:g} s, pid {pid}")
        postmaster.suspend()  # first, so it forks no new backend meanwhile
        children = postmaster.children(recursive=True)
        for child in children:
            child.suspend()
        try:
            time.sleep(seconds)
        finally:
            for child in children:
                child.resume()
            postmaster.resume()
        fault.note += f" and {len(children)} children"
        fault.end = time.time()
        return fault


def app_env(out: Path) -> dict[str, str]:
    """The app's environment: what with-services and with-postgres exported, plus the soak's."""
    for name in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL", "AWS_S3_ENDPOINT_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"loadtest: {name} is not set; run it with `make loadtest`")
    if not os.environ.get("PG_PRIVATE_DATA"):
        raise SystemExit(
            "loadtest: PG_PRIVATE_DATA is not set: the soak pauses its PostgreSQL server, "
            "so it needs a private one (PG_PRIVATE=1 scripts/with-postgres, as `make loadtest`)"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="loadtest.settings",
        ENV_FILE="",
        DATA_DIR=str(out / "data"),
        STATIC_ROOT=str(out / "static"),
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
        MEDIA_DELIVERY="nginx",  # as in production: nginx moves the bytes
        NUM_PROXIES="1",
        # Python's cookie jar (unlike browsers and curl) sends no Secure cookie to
        # http://127.0.0.1, and the soak speaks plain HTTP on loopback.
        SECURE_COOKIES="0",
        # The product's hour would make the orphan check vacuous in a 15-minute run.
        CLEANUP_GRACE_SECONDS="60",
    )
    env.pop("IMAGEAPI_SERVICES", None)
    return env


def media_get(url: str, accept: str = "*/*") -> tuple[int, str, bytes]:
    """A media link fetched as a browser would: (status, Content-Type, body)."""
    status, headers, body = http("GET", url, {"Accept": accept}, timeout=65)
    return status, headers.get("Content-Type", ""), body
