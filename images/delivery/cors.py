"""Media links answer every origin: a signed link is a public capability by design."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse


def public_to_every_origin(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let pages on any origin use the file: ``<img crossorigin>``, canvas, fetch,
    service workers. No credentials are involved, so ``*`` is safe; errors carry it too
    so scripts can read why a link failed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    return wrapped
