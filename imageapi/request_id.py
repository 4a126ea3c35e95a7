"""A request id on every log line of a request, and of the tasks it queues.

The id comes from the client's (or proxy's) X-Request-ID when it looks like one, else
it is made here; it is echoed in the response, added to every log record (the
``request_id`` attribute), and carried to Celery workers in the task's headers.
"""

import contextvars
import logging
import re
import time
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

from imageapi.client_address import client_ip

HEADER = "X-Request-ID"
_SHAPE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access_log = logging.getLogger("imageapi.request")
task_log = logging.getLogger("imageapi.task")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` ("-" outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get() or "-"
        return True


class RequestIdMiddleware:
    """Outermost middleware: gives the request its id and logs one line when it ends."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if _SHAPE.fullmatch(given) else uuid.uuid4().hex
        token = current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "client": client_ip(request),
                },
            )
            return response
        finally:
            current.reset(token)


@before_task_publish.connect(dispatch_uid="imageapi.request_id.publish")
def _attach_request_id(headers: dict | None = None, **kwargs) -> None:
    request_id = current.get()
    if request_id and headers is not None:
        headers["request_id"] = request_id


_task_tokens: dict[str, contextvars.Token] = {}


@task_prerun.connect(dispatch_uid="imageapi.request_id.prerun")
def _adopt_request_id(task_id: str | None = None, task=None, **kwargs) -> None:
    request_id = getattr(task.request, "request_id", None) if task is not None else None
    if request_id and task_id:
        _task_tokens[task_id] = current.set(str(request_id)[:64])
    task_log.info("task %s started", getattr(task, "name", "?"), extra={"task_id": task_id})


@task_postrun.connect(dispatch_uid="imageapi.request_id.postrun")
def _drop_request_id(task_id: str | None = None, task=None, state=None, **kwargs) -> None:
    task_log.info(
        "task %s %s", getattr(task, "name", "?"), state or "done", extra={"task_id": task_id}
    )
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        current.reset(token)
