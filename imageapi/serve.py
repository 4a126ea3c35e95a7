"""`make run`'s HTTP server: waitress in several processes, which slow clients cannot starve.

waitress reads each request whole (headers, and the body into memory or a temp file)
in one event loop before a worker thread sees it, so a client that trickles its headers
or body holds a socket, never a thread: /healthz and everyone else keep being served.
Idle connections close after SERVER_IDLE_TIMEOUT; at most SERVER_CONNECTION_LIMIT are
open at once per process; bodies over MAX_UPLOAD_BYTES (plus the form's overhead) are
refused before they are read. That refusal is the app's own answer (its 413 message, and
the CORS headers a front end on another origin needs to read it): waitress hands the app
the request's headers without the body. waitress's other refusals are JSON too.

One process binds the socket and starts WEB_PROCESSES children (default: one per core)
that accept on it, each with WEB_THREADS threads, so every core serves. What they must
agree on (cached answers and their stamps, throttles, thumbnail claims) lives in the
cache they share: diskcache in the data dir, or Redis with CACHE_URL. A child that dies
is started again; Ctrl-C or SIGTERM stops them all. No control socket.

The scaled-out setup keeps gunicorn behind nginx, which buffers requests the same way.
"""

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.task import ErrorTask, Task, WSGITask
from waitress.utilities import RequestEntityTooLarge

logger = logging.getLogger("imageapi.serve")

# A child that dies sooner than this after its start is not started again at once.
RESTART_PAUSE_SECONDS = 1.0


def options() -> dict:
    """waitress's options, from the server settings (imageapi/settings/server.py)."""
    from django.conf import settings

    from imageapi import limits

    return {
        "threads": settings.WEB_THREADS,
        "channel_timeout": settings.SERVER_IDLE_TIMEOUT,
        "connection_limit": settings.SERVER_CONNECTION_LIMIT,
        "cleanup_interval": 5,
        "max_request_header_size": 64 * 1024,
        # A streamed answer (a large account's list) waits for a slow reader once 1 MiB is
        # queued, instead of queueing up to 16 MiB per connection (waitress's default).
        "outbuf_high_watermark": 1024 * 1024,
        # The app's own bound on an upload's body: the file plus the form around it.
        "max_request_body_size": limits.max_multipart_body(),
        # poll(), not select(): more than 1024 open connections.
        "asyncore_use_poll": True,
        # X-Forwarded-* reach Django untouched; it trusts them per NUM_PROXIES.
        "clear_untrusted_proxy_headers": False,
        "ident": "imageapi",
    }


def json_error_response(error) -> tuple[str, list[tuple[str, str]], bytes]:
    """waitress's own refusals (a body over the limit, a malformed request) in the API's
    one error shape, ``{"detail": ...}``, instead of plain text."""
    detail = f"{error.reason}: {error.body}".rstrip(": ")
    body = json.dumps({"detail": detail}).encode()
    return f"{error.code} {error.reason}", [("Content-Type", "application/json")], body


class AppRefusesTheBody(WSGITask):
    """The app answers a request whose body waitress did not read; the connection closes."""

    def execute(self) -> None:
        self.set_close_on_finish()
        super().execute()


def error_task(channel: HTTPChannel, request: HTTPRequestParser) -> Task:
    """The task that answers a request waitress refused while parsing it.

    A body announced (Content-Length) over the limit goes to the app without its body:
    the app refuses it from the header alone (``RequestSizeLimitMiddleware``), in its own
    words and with its CORS headers, which waitress's own answer lacks, so a page on
    another origin could only see a network error. The connection then closes, since
    the unread body must not be taken for the next request. Other refusals (a malformed
    or chunked-too-large request) stay waitress's, in the API's JSON shape.
    """
    if isinstance(request.error, RequestEntityTooLarge) and request.content_length:
        return AppRefusesTheBody(channel, request)
    return ErrorTask(channel, request)


def listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=1024)
    sock.set_inheritable(True)
    return sock


def serve_on(sock: socket.socket) -> None:
    """Run one server process on the shared socket until it is told to stop."""
    from waitress import serve
    from waitress.utilities import Error

    # The server answers some requests before the app sees them; they answer in JSON too,
    # and an oversized upload is answered by the app itself.
    Error.to_response = lambda self, ident=None: json_error_response(self)
    HTTPChannel.error_task_class = staticmethod(error_task)

    from imageapi.wsgi import application

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(application, sockets=[sock], **options())


class Supervisor:
    """Keeps ``count`` children serving on ``sock``; stops them all when told to."""

    def __init__(self, sock: socket.socket, count: int) -> None:
        self.sock, self.count = sock, count
        self.children: dict[int, float] = {}  # pid -> when it started
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for _ in range(self.count):
            self._start()
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            logger.warning("server process %s ended (%s); starting another", pid, status)
            if time.monotonic() - started < RESTART_PAUSE_SECONDS:
                time.sleep(RESTART_PAUSE_SECONDS)
            if not self.stopping:
                self._start()
        return 0

    def _start(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child: default signal handling, then serve until stopped
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            code = 0
            try:
                serve_on(self.sock)
            except KeyboardInterrupt:
                pass
            except BaseException:
                logger.exception("server process failed")
                code = 1
            os._exit(code)
        self.children[pid] = time.monotonic()

    def _stop(self, signum: int, frame) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings")
    from django.conf import settings

    sock = listen(settings.SERVER_HOST, settings.SERVER_PORT)
    processes = max(1, settings.WEB_PROCESSES)
    print(
        f"Serving on {settings.SERVER_HOST}:{settings.SERVER_PORT}: {processes} "
        f"process{'es' if processes != 1 else ''} x {settings.WEB_THREADS} threads",
        flush=True,
    )
    if processes == 1:
        with contextlib.suppress(KeyboardInterrupt):
            serve_on(sock)
        return
    sys.exit(Supervisor(sock, processes).run())


if __name__ == "__main__":
    main()
