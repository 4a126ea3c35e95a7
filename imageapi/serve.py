"""`make run`'s HTTP server: waitress, which slow clients cannot starve.

waitress reads each request whole (headers, and the body into memory or a temp file)
in one event loop before a worker thread sees it, so a client that trickles its headers
or body holds a socket, never a thread: /healthz and everyone else keep being served.
Idle connections close after SERVER_IDLE_TIMEOUT; at most SERVER_CONNECTION_LIMIT are
open at once; bodies over MAX_UPLOAD_BYTES (plus the form's overhead) are refused
before they are read, with a JSON 413 like every other error. No control socket, nothing
shared between two servers on a host.

The scaled-out setup keeps gunicorn behind nginx, which buffers requests the same way.
"""

import json
import logging
import os

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


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imageapi.settings")
    from waitress import serve
    from waitress.utilities import Error

    # The server answers some requests before the app sees them; they answer in JSON too.
    Error.to_response = lambda self, ident=None: json_error_response(self)

    from imageapi.wsgi import application

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    serve(application, **options())


if __name__ == "__main__":
    main()
