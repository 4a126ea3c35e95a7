"""Real servers for the scale-out tests: PostgreSQL, Redis, an S3 server, Celery, gunicorn, nginx.

`make test-services` runs these under scripts/with-postgres and scripts/with-services,
which start PostgreSQL's throwaway database, moto's S3 server and a Redis server on
loopback ports and export STORAGE=s3, AWS_*, CACHE_URL and CELERY_BROKER_URL before
Django loads. The fixtures here add what runs per session or per test: a Celery worker
and gunicorn processes on the test database, nginx from deploy/nginx/, and throwaway
Redis and S3 servers that a test may stop. Every process is stopped by its fixture and
every wait is bounded.
"""

import os
import re
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.live_server import (
    BIN,
    Process,
    celery_worker,
    free_port,
    gunicorn_server,
    http,
)
from tests.live_server import redis_server as live_redis_server


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.scaleout)


# --- The environment with-services made ---------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _services_only() -> None:
    if os.environ.get("IMAGEAPI_SERVICES") != "1":
        pytest.skip("needs the scale-out services: run `make test-services`")


@pytest.fixture(scope="session")
def database_url(django_db_setup, _services_only) -> str:
    """The URL of pytest-django's test database, for the app's other processes."""
    if connection.vendor != "postgresql":
        pytest.skip("the scale-out tests share the test database with other processes")
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{quote(s['NAME'], safe='')}"


@pytest.fixture(scope="session")
def app_env(database_url) -> dict[str, str]:
    """Environment for the app's other processes: the same settings as this one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=settings.SECRET_KEY,
        DJANGO_SETTINGS_MODULE="imageapi.settings",
        ENV_FILE="",  # a developer's .env must not reach the processes under test
        LOG_LEVEL="WARNING",
        # Webhook receivers in these tests listen on loopback, over plain HTTP.
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
    )
    return env


@pytest.fixture(scope="session")
def s3():
    """A client of the S3 server that with-services started."""
    return boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_S3_ENDPOINT_URL"],
        region_name=os.environ["AWS_S3_REGION_NAME"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass
class Bucket:
    client: object
    name: str

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {obj["Key"] for page in pages for obj in page.get("Contents", ())}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()


@pytest.fixture
def bucket(s3) -> Bucket:
    """The app's bucket (emptied before every test by tests/conftest.py)."""
    return Bucket(s3, os.environ["AWS_STORAGE_BUCKET_NAME"])


@pytest.fixture
def s3_calls() -> Iterator[list[str]]:
    """The S3 operations this process makes during the test, by name (e.g. 'PutObject')."""
    from django.core.files.storage import default_storage

    calls: list[str] = []
    events = default_storage.connection.meta.client.meta.events

    def record(model, **kwargs):
        calls.append(model.name)

    events.register("before-call.s3", record)
    yield calls
    events.unregister("before-call.s3", record)


# --- Processes ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("services-logs")


@pytest.fixture(scope="session")
def worker(app_env, logs) -> Iterator[Process]:
    """A real Celery worker (prefork, one child) on the test database and the broker."""
    from imageapi.celery import app

    hostname = f"test-{os.getpid()}@%h"
    proc = celery_worker(app_env, logs / "worker.log", hostname=hostname).start()
    proc.wait_until("the Celery worker answering a ping", lambda: app.control.ping(timeout=0.5))
    yield proc
    proc.stop()


TASK_DONE = re.compile(r"Task images\.\w+\[[^\]]+\] (succeeded|raised|failed|retry)")


@pytest.fixture
def worker_tasks(worker) -> Callable[[int], None]:
    """``wait(n)``: wait until the worker has finished n more tasks than when the test began.

    Fails when one of them raised (a retry counts as a failure here: nothing is down).
    """

    def outcomes() -> list[str]:
        return TASK_DONE.findall(worker.output(limit=None))

    before = len(outcomes())

    def wait(count: int = 1) -> None:
        worker.wait_until(f"{count} task(s) to finish", lambda: len(outcomes()) >= before + count)
        new = outcomes()[before:]
        assert new == ["succeeded"] * len(new), f"tasks: {new}\n{worker.output()}"

    return wait


@pytest.fixture
def paused_worker(worker) -> Iterator[Callable[[bool], None]]:
    """``pause(True)`` freezes the worker (SIGSTOP), ``pause(False)`` lets it go on."""

    def pause(stopped: bool) -> None:
        os.killpg(worker.proc.pid, signal.SIGSTOP if stopped else signal.SIGCONT)

    yield pause
    pause(False)


@pytest.fixture
def gunicorn(app_env, logs) -> Iterator[Callable[..., str]]:
    """Start gunicorn processes serving the app; returns their base URLs."""
    started: list[Process] = []

    def start(**env: str) -> str:
        port = free_port()
        log = logs / f"gunicorn-{port}.log"
        proc = gunicorn_server(port, {**app_env, **env}, log).start()
        started.append(proc)
        return proc.wait_healthy()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def nginx(tmp_path, logs) -> Iterator[Callable[..., str]]:
    """nginx running deploy/nginx/ in front of an app and the S3 server.

    ``start(app_url, static_root, **values)``: the template values are docker-compose.yml's,
    with the addresses replaced by the test's and any others given in ``values``.
    """
    from tests.deploy.stack import nginx_binary, nginx_production_values, nginx_server

    if nginx_binary() is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light); .ci/run installs it")
    started: list[Process] = []

    def start(app_url: str, static_root: Path, tls: bool = False, **values: str) -> str:
        port = free_port()
        home = tmp_path / f"nginx-{port}"
        home.mkdir()
        site = {
            **nginx_production_values(),
            "APP_UPSTREAM": app_url.removeprefix("http://"),
            "S3_UPSTREAM": os.environ["AWS_S3_ENDPOINT_URL"].removeprefix("http://"),
            "NGINX_RESOLVER": "127.0.0.1",
            "STATIC_ROOT": str(static_root),
            "LISTEN": f"127.0.0.1:{port}",
            **values,
        }
        proc = nginx_server(home, site, logs / f"nginx-{port}.log", tls=tls)
        started.append(proc.start())
        base = f"http://127.0.0.1:{port}"
        proc.wait_until(f"nginx on {port}", lambda: http("GET", base + "/nginx-healthz")[0] == 200)
        return base

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[Callable[[int], Process]]:
    """Start throwaway redis-server processes (on ports the test picks, so they can restart)."""
    started: list[Process] = []

    def start(port: int) -> Process:
        proc = live_redis_server(port, tmp_path).start()
        started.append(proc)
        client = redis.Redis(port=port, socket_connect_timeout=1)
        proc.wait_until(f"redis-server on {port}", client.ping)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def moto_server(tmp_path) -> Iterator[Callable[[int], Process]]:
    """Start throwaway S3 servers (moto's server mode) on ports the test picks."""
    started: list[Process] = []

    def start(port: int) -> Process:
        proc = Process(
            f"moto_server :{port}",
            [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            tmp_path / f"moto-{port}.log",
        ).start()
        started.append(proc)
        url = f"http://127.0.0.1:{port}/"
        proc.wait_until(f"moto_server on {port}", lambda: http("GET", url)[0] == 200)
        return proc

    yield start
    for proc in started:
        proc.stop()


# --- Workers that die holding a task -------------------------------------------------


@pytest.fixture
def silent_endpoint():
    """A TCP port that accepts connections and never answers (a hung storage server)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def lost_worker_env(app_env: dict[str, str], redis_server) -> dict[str, str]:
    """The app's environment with a private broker that redelivers a lost task in seconds."""
    broker_port = free_port()
    redis_server(broker_port)
    return {
        **app_env,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/1",
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "CELERY_TASK_TIME_LIMIT": "3",
        "CELERY_RESTORE_INTERVAL": "2",
        "LOG_LEVEL": "INFO",
    }


def start_worker(name: str, env: dict, logs) -> Process:
    """A Celery worker of one process, started now (its log under ``logs``)."""
    return Process(
        name,
        [
            str(BIN / "celery"),
            *("-A", "imageapi", "worker", "--loglevel", "INFO", "--pool", "prefork"),
            *("--concurrency", "1", "--hostname", f"{name}-{os.getpid()}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        logs / f"{name}-{os.getpid()}.log",
        env,
    ).start()
