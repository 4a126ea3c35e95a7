"""``Idempotency-Key`` for API views: a retried request gets the first answer again.

Decorate a DRF view method with :func:`idempotent`. Without the header the view runs as
always. With it, the request's fingerprint (method, path and body; a file by its
SHA-256) is kept with the first answer (:mod:`uploads.idempotency`), and a retry with
the same key is answered from it, marked ``Idempotent-Replayed: true``.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from uploads.idempotency import KEPT_HEADERS, Answer, fingerprint, once

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def idempotent(method: Callable[..., Response]) -> Callable[..., Response]:
    @wraps(method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        asked = fingerprint(request.method or "", request.path, *_body_parts(request))

        def run() -> Answer:
            try:
                response = method(view, request, *args, **kwargs)
            except Exception as exc:  # answered (and kept) as the view would answer it
                response = view.handle_exception(exc)
            body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            return Answer(response.status_code, body, headers)

        answer, replayed = once(request.user, key, asked, run)
        response = Response(answer.body, status=answer.status, headers=answer.headers)
        if replayed:
            response[REPLAYED] = "true"
        return response

    return wrapper


def _body_parts(request: Request) -> Iterator[str]:
    data = request.data
    items = data.lists() if hasattr(data, "lists") else data.items()
    for name, values in sorted(items, key=lambda item: item[0]):
        for value in values if isinstance(values, list) else [values]:
            yield f"{name}={_digest(value)}"


def _digest(value: object) -> str:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{digest.hexdigest()}"
    return json.dumps(value, sort_keys=True, cls=JSONEncoder)
