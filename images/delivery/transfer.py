"""The three ways the bytes leave, one class each, chosen once from ``MEDIA_DELIVERY``.

None asks the storage whether a file exists: the database knows.
"""

import functools
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect

from imageapi.errors import NotFound, Unavailable
from imageapi.outages import STORAGE_ERRORS
from images.delivery.grants import MediaFile
from images.files import storage

# nginx fetches an X-Accel-Redirect target at once: its presigned URL needs seconds.
NGINX_PRESIGNED_SECONDS = 60
# A cached redirect must expire this long before the presigned URL it points to.
REDIRECT_MARGIN_SECONDS = 60


def presigned_lifetime(longest: int, seconds_left: int | None) -> int:
    """Seconds a presigned URL may live: at most ``longest`` and the link's time left."""
    lifetime = longest if seconds_left is None else min(longest, seconds_left)
    return max(1, lifetime)


def _disposition(media: MediaFile) -> str:
    return f'inline; filename="{media.download_name}"'


def _open(media: MediaFile):
    """The file's stream; :class:`NotFound` when it was deleted since its row was read."""
    try:
        return storage.open_stream(media.name)
    except STORAGE_ERRORS as exc:
        if storage.is_missing(exc):
            raise NotFound("Not found.") from None
        raise Unavailable(storage.UNAVAILABLE) from exc


class AppTransfer:
    """The app streams the file itself (the embedded mode)."""

    def send(self, request: HttpRequest, media: MediaFile, cache_control: str) -> HttpResponse:
        if request.method == "HEAD":
            response = HttpResponse(content_type=media.content_type)
        else:
            response = FileResponse(_open(media), content_type=media.content_type)
        response["Content-Length"] = str(media.size)
        response["Content-Disposition"] = _disposition(media)
        return response


class NginxTransfer:
    """nginx sends the file (X-Accel-Redirect to ``<location><etag>/<key>``, deploy/nginx/).

    The first segment carries the app's ETag, which nginx puts on the response (the
    storage's own validators are hidden). With local storage the rest is the key under
    the media folder. With S3 it is the path and query of a presigned URL (for this
    request's method, valid a minute at most), which nginx proxies to the storage
    endpoint: the bucket stays private and nginx holds no credentials.
    """

    def send(self, request: HttpRequest, media: MediaFile, cache_control: str) -> HttpResponse:
        response = HttpResponse(content_type=media.content_type)
        response["X-Accel-Redirect"] = self.location(request, media)
        response["Content-Disposition"] = _disposition(media)
        return response

    def location(self, request: HttpRequest, media: MediaFile) -> str:
        prefix = settings.MEDIA_NGINX_LOCATION.rstrip("/") + "/" + media.etag.strip('"')
        if not storage.is_s3():
            return quote(f"{prefix}/{media.name}")
        lifetime = presigned_lifetime(NGINX_PRESIGNED_SECONDS, media.seconds_left)
        url = urlsplit(storage.presigned_url(media.name, seconds=lifetime, method=request.method))
        return prefix + url.path + (f"?{url.query}" if url.query else "")


class RedirectTransfer:
    """The client fetches from the storage with a short-lived presigned URL."""

    def send(self, request: HttpRequest, media: MediaFile, cache_control: str) -> HttpResponse:
        lifetime = presigned_lifetime(settings.MEDIA_PRESIGNED_SECONDS, media.seconds_left)
        url = storage.presigned_url(
            media.name,
            seconds=lifetime,
            method=request.method,
            # The storage answers with the headers the app would have sent.
            response_headers={
                "ResponseContentType": media.content_type,
                "ResponseContentDisposition": _disposition(media),
                "ResponseCacheControl": cache_control,
            },
        )
        response = HttpResponseRedirect(url)
        # Browsers keep a redirect as long as told to: never past the URL's own expiry.
        redirect_age = max(0, lifetime - REDIRECT_MARGIN_SECONDS)
        response["Cache-Control"] = f"private, max-age={redirect_age}"
        return response


Transfer = AppTransfer | NginxTransfer | RedirectTransfer
TRANSFERS: dict[str, type[Transfer]] = {
    "app": AppTransfer,
    "nginx": NginxTransfer,
    "redirect": RedirectTransfer,
}


@functools.cache
def configured() -> Transfer:
    return TRANSFERS[settings.MEDIA_DELIVERY]()


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs) -> None:
    if setting == "MEDIA_DELIVERY":
        configured.cache_clear()
