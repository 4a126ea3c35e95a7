"""Staged uploads' background work: Celery when a broker is configured, else in the request.

Processing is idempotent (an upload no longer ``processing`` is left alone; the image and
the upload's end are written in one transaction under the upload's row lock), so with
``acks_late`` a task redelivered after its worker died finishes the upload exactly once.
"""

import logging

from celery import shared_task
from django.db import transaction

from images.thumbnails.tasks import TASK_OPTIONS, in_background

logger = logging.getLogger(__name__)


@shared_task(name="uploads.process", **TASK_OPTIONS)
def process_upload_task(upload_id: str) -> None:
    from uploads import services  # which schedules this task

    services.process(upload_id)


@shared_task(name="uploads.housekeeping", **TASK_OPTIONS)
def housekeeping_task() -> None:
    from uploads import services

    services.housekeeping()


def schedule_processing(upload_id: str) -> None:
    """Validate and store the upload once the current transaction commits.

    A failure to queue is logged, not raised: the upload stays ``processing`` and the
    stale-processing sweep queues it again.
    """

    def dispatch() -> None:
        try:
            if in_background():
                process_upload_task.delay(upload_id)
            else:
                process_upload_task(upload_id)
        except Exception:
            logger.exception("could not process upload %s; the sweep will retry it", upload_id)

    transaction.on_commit(dispatch)
