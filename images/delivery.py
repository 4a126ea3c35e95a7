"""Serving media behind signed links.

The signature is checked first; then the owner's tier *now* decides whether the link
still grants anything. The bytes go out in one of three ways (``MEDIA_DELIVERY``):
streamed by the app, handed to nginx with X-Accel-Redirect, or a redirect to a
short-lived presigned storage URL.
"""

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.utils.cache import get_conditional_response, patch_vary_headers

from accounts.tiers import entitlements
from images import links
from images.models import Image
from images.negotiation import preferred_format
from images.thumbnails import EXTENSIONS, ensure_thumbnails

MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "AVIF": "image/avif"}
THUMBNAIL_MAX_AGE = 365 * 24 * 3600
ORIGINAL_MAX_AGE = 3600


@dataclass(frozen=True)
class MediaFile:
    name: str  # storage key
    size: int
    format: str
    etag: str
    max_age: int
    download_name: str
    varies_on_accept: bool = False


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def serve(request: HttpRequest, token: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        response = _error(405, f'Method "{request.method}" not allowed.')
        response["Allow"] = "GET, HEAD"
        return response
    try:
        grant = links.verify(token)
    except links.LinkExpired:
        return _error(410, "This link has expired; ask for a new one.")
    except links.LinkInvalid:
        return _error(404, "Not found.")

    image = Image.objects.select_related("owner__tier").filter(key=grant.image_key).first()
    if image is None:
        return _error(404, "Not found.")
    media = _resolve(request, image, grant)
    if media is None:
        return _error(404, "Not found.")
    return _respond(request, media, grant.seconds_left())


def _resolve(request: HttpRequest, image: Image, grant: links.Grant) -> MediaFile | None:
    """What the grant gives access to under the owner's current tier, if anything."""
    allowed = entitlements(image.owner)
    if grant.is_original:
        permitted = allowed.expiring_links if grant.expires_at else allowed.original_link
        if not permitted:
            return None
        return MediaFile(
            name=image.file.name,
            size=image.size,
            format=image.format,
            etag=f'"{image.sha256[:32]}"',
            max_age=ORIGINAL_MAX_AGE,
            download_name=f"{image.key}.{EXTENSIONS[image.format]}",
        )
    if not allowed.allows_height(grant.height):
        return None
    source_mime = MIME_TYPES[image.format]
    modern = preferred_format(
        request.headers.get("Accept"), source_mime, settings.THUMBNAIL_FORMATS
    )
    if modern:
        thumb = ensure_thumbnails(image, [grant.height], fmt=modern)[grant.height]
    else:
        # Made on first request when the background work has not run (yet).
        thumb = ensure_thumbnails(image, allowed.heights)[grant.height]
    return MediaFile(
        name=thumb.file.name,
        size=thumb.size,
        format=thumb.format,
        etag=f'"t{thumb.pk}-{thumb.format.lower()}"',
        max_age=THUMBNAIL_MAX_AGE,
        download_name=f"{image.key}-{grant.height}.{EXTENSIONS[thumb.format]}",
        varies_on_accept=bool(settings.THUMBNAIL_FORMATS),
    )


def _respond(request: HttpRequest, media: MediaFile, seconds_left: int | None) -> HttpResponse:
    max_age = media.max_age if seconds_left is None else min(media.max_age, seconds_left)
    if seconds_left is not None:
        cache_control = f"private, max-age={max_age}"
    elif media.max_age == THUMBNAIL_MAX_AGE:
        cache_control = f"public, max-age={max_age}, immutable"
    else:
        cache_control = f"private, max-age={max_age}"

    response = get_conditional_response(request, etag=media.etag)
    if response is None:
        response = _transfer(request, media, seconds_left)
    response["ETag"] = media.etag
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    if media.varies_on_accept:
        patch_vary_headers(response, ["Accept"])
    return response


def _transfer(request: HttpRequest, media: MediaFile, seconds_left: int | None) -> HttpResponse:
    content_type = MIME_TYPES[media.format]
    mode = settings.MEDIA_DELIVERY
    if mode == "redirect":
        lifetime = min(ORIGINAL_MAX_AGE, seconds_left) if seconds_left is not None else 600
        return HttpResponseRedirect(default_storage.url(media.name, expire=max(1, lifetime)))
    if mode == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = quote(settings.MEDIA_NGINX_LOCATION + media.name)
    elif request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(media.size)
    else:
        response = FileResponse(default_storage.open(media.name, "rb"), content_type=content_type)
        response["Content-Length"] = str(media.size)
    response["Content-Disposition"] = f'inline; filename="{media.download_name}"'
    return response
