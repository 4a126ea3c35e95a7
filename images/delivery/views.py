"""The media view: a signed link in, the file (or a JSON error) out, with HTTP caching."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.csrf import csrf_exempt

from imageapi.error_responses import json_error
from imageapi.errors import MethodNotAllowed, ServiceError
from images.delivery import grants, transfer


@csrf_exempt  # no cookies are read; an unsafe method is answered 405 in JSON
def serve(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return json_error(MethodNotAllowed(request.method, allowed=("GET", "HEAD")))
    try:
        media = grants.resolve(token, request.headers.get("Accept"))
    except ServiceError as error:
        # Answered here rather than by the error middleware, so that the decorators
        # around this view (CORS) see the answer too.
        return json_error(error)
    return _respond(request, media)


def _respond(request: HttpRequest, media: grants.MediaFile) -> HttpResponse:
    # Kept at most MEDIA_CACHE_SECONDS, then revalidated (ETag), so a deleted image or a
    # height the tier dropped is gone from caches within that time; never "immutable".
    if media.seconds_left is not None:  # an expiring link: never cached past its expiry
        cache_control = f"private, max-age={min(media.max_age, media.seconds_left)}"
    elif media.shared:
        cache_control = f"public, max-age={media.max_age}"
    else:
        cache_control = f"private, max-age={media.max_age}"

    response = get_conditional_response(request, etag=media.etag)
    if response is None:
        response = transfer.configured().send(request, media, cache_control)
    response["ETag"] = media.etag
    response.setdefault("Cache-Control", cache_control)
    response["X-Content-Type-Options"] = "nosniff"
    if media.varies_on_accept:
        patch_vary_headers(response, ["Accept"])
    return response
