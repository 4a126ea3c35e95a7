"""Sending deliveries in the background: Celery when a broker is configured, else a small
pool of threads in this process (a slow receiver never holds up the request).

Either way a delivery is sent only after the transaction that recorded it commits, and
its state stays in the database: a task lost with its worker (or a process that exits
with work in its pool) leaves a pending row that the sweep sends again.
"""

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from celery import shared_task
from django.db import connection, transaction

from imageapi.celery import broker_url

logger = logging.getLogger(__name__)

# acks_late: a worker that dies mid-attempt leaves the task to be redelivered; the
# delivery's lease (and the sweep) make sure it is sent, and only once at a time.
TASK_OPTIONS = {"acks_late": True, "ignore_result": True}
IN_PROCESS_THREADS = 2

_pool: ThreadPoolExecutor | None = None
_pending: set[Future] = set()
_lock = threading.Lock()


@shared_task(name="webhooks.deliver", **TASK_OPTIONS)
def deliver_task(delivery_id: int) -> None:
    from webhooks import services  # which enqueues these tasks

    services.attempt(delivery_id)


@shared_task(name="webhooks.sweep", **TASK_OPTIONS)
def sweep_task() -> None:
    from webhooks import services

    services.sweep()


def in_background() -> bool:
    return bool(broker_url())


def enqueue(delivery_ids: Iterable[int]) -> None:
    """Attempt these deliveries once the current transaction commits."""
    ids = list(delivery_ids)
    if ids:
        transaction.on_commit(lambda: _dispatch(ids))


def _dispatch(ids: list[int]) -> None:
    for delivery_id in ids:
        try:
            if in_background():
                deliver_task.delay(delivery_id)
            else:
                _submit(delivery_id)
        except Exception:
            # The row stays pending and due: the sweep sends it.
            logger.exception("could not queue webhook delivery %s", delivery_id)


def _submit(delivery_id: int) -> None:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(IN_PROCESS_THREADS, thread_name_prefix="webhooks")
        future = _pool.submit(_attempt_in_thread, delivery_id)
        _pending.add(future)
    future.add_done_callback(_pending.discard)


def _attempt_in_thread(delivery_id: int) -> None:
    from webhooks import services

    try:
        services.attempt(delivery_id)
    except Exception:
        logger.exception("webhook delivery %s failed in-process", delivery_id)
    finally:
        connection.close()  # this thread's own; it would outlive the pool's work


def drain(timeout: float | None = None) -> bool:
    """Wait for this process's in-process attempts to finish; False if some did not."""
    with _lock:
        pending = set(_pending)
    return not wait(pending, timeout=timeout).not_done
