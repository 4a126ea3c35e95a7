"""Background work behind one interface: Celery when a broker is configured, else in-process."""

import logging

from celery import shared_task
from django.db import transaction

from imageapi.celery import broker_url
from imageapi.errors import Unavailable
from imageapi.outages import TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# The tasks are idempotent, so a retry after an outage (or a thumbnail another process
# did not finish in time), or a redelivery after a lost worker, redoes nothing twice.
TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (*TRANSIENT_ERRORS, Unavailable),
    "retry_backoff": True,
    "max_retries": 5,
    "ignore_result": True,
}


# Names of their own: stable whichever module holds them.
@shared_task(name="images.generate_thumbnails", **TASK_OPTIONS)
def generate_thumbnails_task(image_id: int) -> None:
    from images import services  # which schedules these tasks

    services.generate_missing_thumbnails(image_id)


@shared_task(name="images.backfill_user", **TASK_OPTIONS)
def backfill_user_task(user_id: int) -> None:
    from images import services

    services.backfill_user(user_id)


def in_background() -> bool:
    return bool(broker_url())


def _dispatch(task, *args) -> None:
    # Failures here must not fail the request that caused the work: a missing thumbnail
    # is still made on demand when its link is fetched.
    try:
        if in_background():
            task.delay(*args)
        else:
            task(*args)
    except Exception:
        logger.exception("could not run %s%r", task.name, args)


def schedule_thumbnails(image_id: int) -> None:
    """Generate an image's missing thumbnails once the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(generate_thumbnails_task, image_id))


def schedule_backfill(user_ids: list[int]) -> None:
    """Generate missing thumbnails of these users' images once the transaction commits."""
    for user_id in user_ids:
        transaction.on_commit(lambda uid=user_id: _dispatch(backfill_user_task, uid))
