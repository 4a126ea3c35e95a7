"""Staged uploads (bytes sent straight to storage): URL lifetime, caps, housekeeping."""

from imageapi.settings.environment import env
from imageapi.settings.tasks import CELERY_TASK_TIME_LIMIT, CELERY_VISIBILITY_TIMEOUT

# How long an upload URL (presigned POST, or the signed PUT) works; a pending upload
# not completed by then expires, and its reservation and staged bytes go.
UPLOAD_URL_SECONDS = env.int("UPLOAD_URL_SECONDS", default=900)
# Uploads one user may have pending at once (each holds quota); more answer 429.
MAX_PENDING_UPLOADS = env.int("MAX_PENDING_UPLOADS", default=20)
# An upload still "processing" this long after its completion lost its worker and was
# not redelivered: the sweep queues it again (or rejects it after UPLOAD_MAX_ATTEMPTS).
# After the broker's own redelivery (the visibility timeout) and the longest task.
UPLOAD_STALE_SECONDS = env.int(
    "UPLOAD_STALE_SECONDS", default=CELERY_VISIBILITY_TIMEOUT + CELERY_TASK_TIME_LIMIT
)
UPLOAD_MAX_ATTEMPTS = env.int("UPLOAD_MAX_ATTEMPTS", default=3)
# Answers to requests with an Idempotency-Key are kept this long (at least a day).
IDEMPOTENCY_KEY_SECONDS = max(86400, env.int("IDEMPOTENCY_KEY_SECONDS", default=86400))
# How often `celery beat` runs the housekeeping: UPLOAD_SWEEP_SECONDS (settings/tasks.py).
