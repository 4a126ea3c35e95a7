"""What operators see: logs (plain or JSON lines, with a request id) and metrics."""

from imageapi.settings.environment import env

# /metrics (Prometheus text format) answers these client addresses (after NUM_PROXIES),
# or any client sending ``Authorization: Bearer <METRICS_TOKEN>``; everyone else a 404.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# django-prometheus: no per-model or migration metrics, only what is listed in the README.
PROMETHEUS_EXPORT_MIGRATIONS = False

# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id
# and, for the per-request line, method, path, status, duration_ms, client).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError(f"LOG_FORMAT must be 'plain' or 'json', not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "imageapi.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-axes logs every attempt at INFO; failures and lockouts are warnings.
        "axes": {"level": "WARNING"},
        # One line per request (imageapi.request) replaces Django's own 4xx warnings.
        "django.request": {"level": "ERROR"},
        "celery": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
