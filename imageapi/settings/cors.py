"""Cross-origin front ends: which origins may call the API from a browser.

Only the origins listed in ``CORS_ALLOWED_ORIGINS`` (comma-separated, e.g.
``https://app.example.com,http://localhost:5173``; none by default) get CORS headers on
``/api/`` answers, with credentials allowed. Other origins get none, so browsers refuse
to show them the answers. Media links are public capability URLs and answer every
origin with ``Access-Control-Allow-Origin: *`` (see ``images.delivery.cors``).
"""

from corsheaders.defaults import default_headers

from imageapi.settings.environment import env

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
# Retries of uploads and completions carry an Idempotency-Key.
CORS_ALLOW_HEADERS = (*default_headers, "idempotency-key")
# A front end reads these to back off and to show what is left of a limit.
CORS_EXPOSE_HEADERS = [
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    # Staged uploads: where to poll, and whether an answer is a retry's replay.
    "Location",
    "Idempotent-Replayed",
]
CORS_PREFLIGHT_MAX_AGE = 3600
