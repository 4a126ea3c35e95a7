"""The errors the product refuses requests with: what went wrong, for whom, and why.

Services raise these; they say nothing of HTTP. :mod:`imageapi.error_responses` is the
one place that turns them (and outages of the database) into answers, all in one JSON
shape (DRF's): ``{"detail": "..."}``, or ``{"<field>": ["..."]}`` when an error belongs
to one input.
"""

RETRY_AFTER_SECONDS = 5
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable; try again shortly."


class ServiceError(Exception):
    """A request the product refuses; the message is for a person and says why."""

    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field  # the input the error belongs to, if one


class Rejected(ServiceError):
    """The input cannot be accepted as it is."""


class TooLarge(Rejected):
    """The input is over a size limit."""

    default_code = "too_large"


class NotSignedIn(ServiceError):
    """No valid credentials came with the request, or they no longer count."""

    default_code = "not_authenticated"


class NotAllowed(ServiceError):
    """The user's tier or limits do not allow this."""

    default_code = "not_allowed"


class NotFound(ServiceError):
    """No such object, as far as this user may know."""

    default_code = "not_found"


class Gone(ServiceError):
    """It existed but is no longer available, e.g. an expired link."""

    default_code = "gone"


class MethodNotAllowed(ServiceError):
    """This address does not take this method."""

    default_code = "method_not_allowed"

    def __init__(self, method: str, *, allowed: tuple[str, ...]) -> None:
        super().__init__(f'Method "{method}" not allowed.')
        self.allowed = allowed


class Conflict(ServiceError):
    """The request contradicts the current state."""

    default_code = "conflict"


class Unprocessable(ServiceError):
    """Well-formed, but contradicts what was asked before (e.g. a reused idempotency key)."""

    default_code = "unprocessable"


class Retryable(ServiceError):
    """Refused for now; the same request may succeed after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: int = RETRY_AFTER_SECONDS, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class RateLimited(Retryable):
    """Too many requests for a limit (``limit`` in ``window`` seconds, ``remaining`` left)."""

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


class Unavailable(Retryable):
    """A backing service (database, storage, cache) cannot serve now."""

    default_code = "unavailable"
