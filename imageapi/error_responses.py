"""The one translation of refusals into HTTP answers, in one JSON shape (DRF's).

Domain errors (:mod:`imageapi.errors`) get their status and headers here and only here:
through DRF's exception handler for API views, :class:`ErrorMiddleware` for views
outside DRF (media links, the admin), and Django's error views for requests that reach
no view. Outages of the database are answered 503 with ``Retry-After`` everywhere.
"""

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse

from imageapi import errors
from imageapi.outages import DATABASE_ERRORS

logger = logging.getLogger(__name__)

# Most specific class first: a subclass's status wins over its parent's.
STATUS: tuple[tuple[type[errors.ServiceError], int], ...] = (
    (errors.TooLarge, 413),
    (errors.Rejected, 400),
    (errors.NotSignedIn, 401),
    (errors.NotAllowed, 403),
    (errors.NotFound, 404),
    (errors.MethodNotAllowed, 405),
    (errors.Conflict, 409),
    (errors.Gone, 410),
    (errors.Unprocessable, 422),
    (errors.RateLimited, 429),
    (errors.Unavailable, 503),
    (errors.ServiceError, 400),
)


def status_of(error: errors.ServiceError) -> int:
    return next(status for cls, status in STATUS if isinstance(error, cls))


def headers_of(error: errors.ServiceError) -> dict[str, str]:
    """``Allow``, ``Retry-After`` and the IETF draft's ``RateLimit-*`` fields
    (draft-ietf-httpapi-ratelimit-headers-05), where the error carries them."""
    headers: dict[str, str] = {}
    if isinstance(error, errors.MethodNotAllowed):
        headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, errors.Retryable):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.RateLimited) and error.limit is not None:
        headers.update(
            rate_limit_headers(error.limit, error.remaining, error.retry_after, error.window)
        )
    return headers


def rate_limit_headers(
    limit: int, remaining: int, reset: int, window: int | None = None
) -> dict[str, str]:
    """The ``RateLimit-*`` fields, on a 429 and on the answers that counted against it."""
    headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(max(0, remaining)),
        "RateLimit-Reset": str(reset),
    }
    if window is not None:
        headers["RateLimit-Policy"] = f"{limit};w={window}"
    return headers


def error_body(error: errors.ServiceError) -> dict:
    if error.field:
        return {error.field: [error.message]}
    return {"detail": error.message}


def as_service_error(exc: BaseException | None) -> errors.ServiceError | None:
    """The domain error an exception stands for, if it is one we answer (not a bug)."""
    if isinstance(exc, errors.ServiceError):
        return exc
    if isinstance(exc, DATABASE_ERRORS):
        logger.warning("database unavailable: %s", exc)
        return errors.Unavailable(errors.UNAVAILABLE_MESSAGE)
    return None


def json_error(error: errors.ServiceError, **extra: object) -> JsonResponse:
    """The answer to ``error``; ``extra`` adds fields to its body (e.g. ``success``)."""
    response = JsonResponse({**extra, **error_body(error)}, status=status_of(error))
    for name, value in headers_of(error).items():
        response[name] = value
    return response


def exception_handler(exc: Exception, context: dict):
    """DRF's handler, extended with the product's domain errors and database outages."""
    # Imported here: models import the domain errors, and DRF's views import the models.
    from rest_framework import exceptions as drf
    from rest_framework.views import exception_handler as drf_exception_handler

    error = as_service_error(exc)
    if error is None:
        return drf_exception_handler(exc, context)
    translated = drf.APIException(error_body(error) if error.field else error.message)
    translated.status_code = status_of(error)
    response = drf_exception_handler(translated, context)
    for name, value in headers_of(error).items():
        response[name] = value
    return response


class ErrorMiddleware:
    """The same answers for views outside DRF (media links, the admin)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        error = as_service_error(exc)
        return json_error(error) if error is not None else None


# Django's own error views, for requests that never reach a view that answers.


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        {"detail": "You do not have permission to perform this action."}, status=403
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse({"detail": f"CSRF Failed: {reason}"}, status=403)


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this while it handles the exception: a database outage met outside a
    # view (in a middleware: sessions, the brute-force guard) is still a 503, not a 500.
    error = as_service_error(sys.exc_info()[1])
    if error is not None:
        return json_error(error)
    return JsonResponse({"detail": "Server error."}, status=500)
