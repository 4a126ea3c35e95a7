"""`make run`'s HTTP server: waitress, which slow clients cannot starve.

waitress reads each request whole (headers, and the body into memory or a temp file)
in one event loop before a worker thread sees it, so a client that trickles its headers
or body holds a socket, never a thread: /healthz and everyone else keep being served.
Idle connections close after SERVER_IDLE_TIMEOUT; at most SERVER_CONNECTION_LIMIT are
open at once; bodies over MAX_UPLOAD_BYTES (plus the form's overhead) are refused
before they are read. That refusal is the app's own answer (its 413 message, and the
CORS headers a front end on another origin needs to read it): waitress hands the app the
request's headers without the body. waitress's other refusals are JSON too. No control
socket, nothing shared between two servers on a host.

The scaled-out setup keeps gunicorn behind nginx, which buffers requests the same way.
"""

import json
import logging
import os

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.task import ErrorTask, Task, WSGITask
from waitress.utilities import RequestEntityTooLarge

from imageapi.settings.environment import env


def options() -> dict:
    from imageapi import limits

    return {
        "host": env.str("HOST", default="127.0.0.1"),
        "port": env.int("PORT", default=8000),
        "threads": env.int("WEB_THREADS", default=4),
        "channel_timeout": env.int("SERVER_IDLE_TIMEOUT", default=30),
        "connection_limit": env.int("SERVER_CONNECTION_LIMIT", default=1000),
        "cleanup_interval": 5,
        "max_request_header_size": 64 * 1024,
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


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings")
    from waitress import serve
    from waitress.utilities import Error

    # The server answers some requests before the app sees them; they answer in JSON too,
    # and an oversized upload is answered by the app itself.
    Error.to_response = lambda self, ident=None: json_error_response(self)
    HTTPChannel.error_task_class = staticmethod(error_task)

    from imageapi.wsgi import application

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(application, **options())


if __name__ == "__main__":
    main()
