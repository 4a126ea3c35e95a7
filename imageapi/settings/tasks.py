"""Background work: Celery when a broker is configured, else in the request."""

from django.core.exceptions import ImproperlyConfigured

from imageapi.settings.environment import env
from imageapi.settings.webhooks import WEBHOOK_SWEEP_SECONDS

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or None
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# The worker logs through Django's LOGGING (LOG_FORMAT, the request id of the request
# that queued the task) instead of Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# A task that runs longer than this is killed (the soft limit first raises inside it).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = max(1, CELERY_TASK_TIME_LIMIT - 15)
# With acks_late, a task whose worker died is redelivered once this passes. It must
# outlast the longest task (else a running task is handed to a second worker) and is
# kept short, so a lost thumbnail job waits minutes, not Redis' default hour.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=300)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT "
        f"({CELERY_VISIBILITY_TIMEOUT} <= {CELERY_TASK_TIME_LIMIT})"
    )

# Fail fast when the broker hangs: publishing a task (after an upload) gives up within
# about a second and the request carries on; the thumbnail is made on first fetch.
BROKER_SOCKET_TIMEOUT = env.float("BROKER_SOCKET_TIMEOUT", default=0.5)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Workers look for tasks past their visibility timeout every this many seconds (one
    # cheap Redis query). kombu's default scans only every 10th sweep: 100 s.
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "max_retries": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Housekeeping for `celery beat` (docker-compose's beat service). Without a broker, run
# `python manage.py flush_expired_tokens` from cron instead.
CELERY_BEAT_SCHEDULE = {
    "flush-expired-tokens": {
        "task": "accounts.flush_expired_tokens",
        "schedule": env.int("TOKEN_FLUSH_SECONDS", default=3600),
    },
    # Webhook retries that are due, and deliveries a lost worker held. Without a broker,
    # run `python manage.py webhook_sweep` from cron instead.
    "webhook-sweep": {
        "task": "webhooks.sweep",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
    # Staged uploads: expire the pending ones past their URL, requeue lost processing,
    # forget old idempotency keys. Without a broker: `manage.py expire_uploads` (cron).
    "uploads-housekeeping": {
        "task": "uploads.housekeeping",
        "schedule": env.int("UPLOAD_SWEEP_SECONDS", default=60),
    },
}
