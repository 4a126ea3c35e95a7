"""Serving media behind signed links.

The signature is checked first; then the owner's tier *now* decides whether the link
still grants anything. The bytes go out in one of three ways (``MEDIA_DELIVERY``):
streamed by the app, handed to nginx with X-Accel-Redirect, or a redirect to a
short-lived presigned storage URL. All three run the same signature and tier checks
first, and none asks the storage whether a file exists: the database knows.
"""

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from botocore.exceptions import ClientError
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
from imageapi.outages import STORAGE_ERRORS
from images import links, processing
from images.models import Image
from images.negotiation import preferred_format
from images.processing import EXTENSIONS, MIME_TYPES
from images.thumbnails import ensure_thumbnails

THUMBNAIL_MAX_AGE = 365 * 24 * 3600
ORIGINAL_MAX_AGE = 3600
# nginx fetches an X-Accel-Redirect target at once: its presigned URL needs seconds.
NGINX_PRESIGNED_SECONDS = 60
# A cached redirect must expire this long before the presigned URL it points to.
REDIRECT_MARGIN_SECONDS = 60

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaFile:
    name: str  # storage key
    size: int
    format: str
    etag: str
    max_age: int
    download_name: str
    varies_on_accept: bool = False
    immutable: bool = False  # same bytes for as long as the link works: cache anywhere


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
    try:
        media = _resolve(request, image, grant)
        if media is None:
            return _error(404, "Not found.")
        return _respond(request, media, grant.seconds_left())
    except processing.ImageRejected:
        # Stored before a stricter limit (e.g. a lowered MAX_IMAGE_PIXELS) took effect.
        logger.error("image %s: its thumbnails cannot be made", image.key, exc_info=True)
        return _error(404, "Not found.")
    except STORAGE_ERRORS as exc:
        if _is_missing(exc):
            logger.error("image %s: a stored file is missing", image.key, exc_info=True)
            return _error(404, "Not found.")
        logger.warning("image %s: storage unavailable: %s", image.key, exc)
        return _error(503, "The image store is unavailable; try again shortly.")


def _is_missing(exc: Exception) -> bool:
    if isinstance(exc, FileNotFoundError):
        return True
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}
    return False


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
        immutable=True,
        download_name=f"{image.key}-{grant.height}.{EXTENSIONS[thumb.format]}",
        varies_on_accept=bool(settings.THUMBNAIL_FORMATS),
    )


def _respond(request: HttpRequest, media: MediaFile, seconds_left: int | None) -> HttpResponse:
    if seconds_left is not None:  # an expiring link: never cached past its expiry
        cache_control = f"private, max-age={min(media.max_age, seconds_left)}"
    elif media.immutable:
        cache_control = f"public, max-age={media.max_age}, immutable"
    else:
        cache_control = f"private, max-age={media.max_age}"

    response = get_conditional_response(request, etag=media.etag)
    if response is None:
        response = _transfer(request, media, seconds_left, cache_control)
    response["ETag"] = media.etag
    response.setdefault("Cache-Control", cache_control)
    response["X-Content-Type-Options"] = "nosniff"
    if media.varies_on_accept:
        patch_vary_headers(response, ["Accept"])
    return response


def _transfer(
    request: HttpRequest, media: MediaFile, seconds_left: int | None, cache_control: str
) -> HttpResponse:
    content_type = MIME_TYPES[media.format]
    disposition = f'inline; filename="{media.download_name}"'
    mode = settings.MEDIA_DELIVERY
    if mode == "redirect":
        lifetime = _presigned_lifetime(settings.MEDIA_PRESIGNED_SECONDS, seconds_left)
        url = default_storage.url(
            media.name,
            # The storage answers with the headers the app would have sent.
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
                "ResponseCacheControl": cache_control,
            },
            expire=lifetime,
            http_method=request.method,
        )
        response = HttpResponseRedirect(url)
        # Browsers keep a redirect as long as told to: never past the URL's own expiry.
        redirect_age = max(0, lifetime - REDIRECT_MARGIN_SECONDS)
        response["Cache-Control"] = f"private, max-age={redirect_age}"
        return response
    if mode == "nginx":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = _nginx_location(request, media, seconds_left)
    elif request.method == "HEAD":
        response = HttpResponse(content_type=content_type)
        response["Content-Length"] = str(media.size)
    else:
        response = FileResponse(_open(media.name), content_type=content_type)
        response["Content-Length"] = str(media.size)
    response["Content-Disposition"] = disposition
    return response


def _presigned_lifetime(longest: int, seconds_left: int | None) -> int:
    """Seconds a presigned URL may live: at most ``longest`` and the link's time left."""
    lifetime = longest if seconds_left is None else min(longest, seconds_left)
    return max(1, lifetime)


def _s3_storage():
    """The default storage when it is S3 (imported lazily: the embedded mode never needs boto3)."""
    from storages.backends.s3 import S3Storage

    return default_storage if isinstance(default_storage, S3Storage) else None


def _nginx_location(request: HttpRequest, media: MediaFile, seconds_left: int | None) -> str:
    """Where nginx fetches the file: ``<location><etag>/<key>`` (deploy/nginx/).

    The first segment carries the app's ETag, which nginx puts on the response (the
    storage's own validators are hidden). With local storage the rest is the key under
    the media folder. With S3 it is the path and query of a presigned URL (for this
    request's method, valid a minute at most), which nginx proxies to the storage
    endpoint: the bucket stays private and nginx holds no credentials.
    """
    prefix = settings.MEDIA_NGINX_LOCATION.rstrip("/") + "/" + media.etag.strip('"')
    storage = _s3_storage()
    if storage is None:
        return quote(f"{prefix}/{media.name}")
    lifetime = _presigned_lifetime(NGINX_PRESIGNED_SECONDS, seconds_left)
    url = urlsplit(storage.url(media.name, expire=lifetime, http_method=request.method))
    return prefix + url.path + (f"?{url.query}" if url.query else "")


def _open(name: str):
    """A readable stream of the stored file, in one storage request."""
    storage = _s3_storage()
    if storage is None:
        return default_storage.open(name, "rb")
    from storages.utils import clean_name

    # S3Storage.open() would ask for the object's metadata first and then download all
    # of it to a temporary file; a plain GetObject streams it straight through.
    key = storage._normalize_name(clean_name(name))
    return storage.connection.meta.client.get_object(Bucket=storage.bucket_name, Key=key)["Body"]
