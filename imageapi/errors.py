"""Every error the product answers with, in one JSON shape (DRF's), from one place.

Services raise the domain errors below; they know nothing of HTTP. The DRF exception
handler (``exception_handler``) and, for views outside DRF (media links, the admin), the
``ErrorMiddleware`` translate them, and outages of the database, into the same bodies:
``{"detail": "..."}``, or ``{"<field>": ["..."]}`` when an error belongs to one input.
"""

import logging
import sys

from django.http import HttpRequest, HttpResponse, JsonResponse

from imageapi.outages import DATABASE_ERRORS

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again shortly."


class ServiceError(Exception):
    """A request the product refuses; the message is for a person and says why."""

    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field  # the input the error belongs to, if one

    def headers(self) -> dict[str, str]:
        return {}


class Rejected(ServiceError):
    """The input cannot be accepted as it is (400)."""


class TooLarge(Rejected):
    """The request body is over a size limit (413)."""

    status = 413
    default_code = "too_large"


class NotAllowed(ServiceError):
    """The user's tier or limits do not allow this (403)."""

    status = 403
    default_code = "not_allowed"


class NotFound(ServiceError):
    """No such object, as far as this user may know (404)."""

    status = 404
    default_code = "not_found"


class Gone(ServiceError):
    """It existed but is no longer available, e.g. an expired link (410)."""

    status = 410
    default_code = "gone"


class MethodNotAllowed(ServiceError):
    """This address does not answer this method (405)."""

    status = 405
    default_code = "method_not_allowed"

    def __init__(self, method: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(f'Method "{method}" not allowed.')
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class Conflict(ServiceError):
    """The request contradicts the current state (409)."""

    status = 409
    default_code = "conflict"


class _Retryable(ServiceError):
    def __init__(self, message: str, *, retry_after: int = RETRY_AFTER_SECONDS, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RateLimited(_Retryable):
    """Too many requests for a limit; retry after the given seconds (429).

    Given the limit, it also sends the IETF draft's ``RateLimit-Limit``,
    ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds) and ``RateLimit-Policy``
    (``<limit>;w=<window seconds>``) fields (draft-ietf-httpapi-ratelimit-headers-05).
    """

    status = 429
    default_code = "throttled"

    def __init__(
        self,
        message: str,
        *,
        limit: int | None = None,
        remaining: int = 0,
        window: int | None = None,
        **kwargs,
    ):
        super().__init__(message, **kwargs)
        self.limit, self.remaining, self.window = limit, remaining, window

    def headers(self) -> dict[str, str]:
        headers = super().headers()
        if self.limit is not None:
            headers.update(
                {
                    "RateLimit-Limit": str(self.limit),
                    "RateLimit-Remaining": str(max(0, self.remaining)),
                    "RateLimit-Reset": str(self.retry_after),
                }
            )
            if self.window is not None:
                headers["RateLimit-Policy"] = f"{self.limit};w={self.window}"
        return headers


class Unavailable(_Retryable):
    """A backing service (database, storage, cache) cannot serve now (503)."""

    status = 503
    default_code = "unavailable"


def error_body(error: ServiceError) -> dict:
    if error.field:
        return {error.field: [error.message]}
    return {"detail": error.message}


def as_service_error(exc: BaseException) -> ServiceError | None:
    """The domain error an exception stands for, if it is one we answer (not a bug)."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, DATABASE_ERRORS):
        logger.warning("database unavailable: %s", exc)
        return Unavailable(UNAVAILABLE_MESSAGE)
    return None


def json_error(error: ServiceError) -> JsonResponse:
    response = JsonResponse(error_body(error), status=error.status)
    for name, value in error.headers().items():
        response[name] = value
    return response


def exception_handler(exc: Exception, context: dict):
    """DRF's handler, extended with the product's domain errors and database outages."""
    # Imported here: models import the domain errors, and DRF's views import the models.
    from rest_framework import exceptions as drf
    from rest_framework.views import exception_handler as drf_exception_handler

    error = as_service_error(exc)
    if error is not None:
        exc = drf.APIException(error_body(error) if error.field else error.message)
        exc.status_code = error.status
        response = drf_exception_handler(exc, context)
        for name, value in error.headers().items():
            response[name] = value
        return response
    return drf_exception_handler(exc, context)


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
