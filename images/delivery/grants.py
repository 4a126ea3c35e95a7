"""From a signed link to the file it grants under the owner's tier now."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from accounts.tiers import entitlements
from imageapi.errors import Gone, NotFound, Unavailable
from imageapi.outages import STORAGE_ERRORS
from images import processing, selectors
from images.delivery import links
from images.delivery.negotiation import preferred_format
from images.files import storage
from images.models import Image, Thumbnail
from images.processing.formats import THUMBNAIL_FORMATS
from images.thumbnails.rendering import ensure_thumbnails

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaFile:
    name: str  # storage key
    size: int
    format: str
    etag: str
    max_age: int
    download_name: str
    seconds_left: int | None = None  # an expiring link's time left
    varies_on_accept: bool = False
    shared: bool = False  # shared caches (CDNs, proxies) may keep it too: thumbnails

    @property
    def content_type(self) -> str:
        return processing.MIME_TYPES[self.format]


def resolve(token: str, accept: str | None) -> MediaFile:
    """The file ``token`` grants now; :class:`NotFound` for anything it does not."""
    try:
        grant = links.verify(token)
    except links.LinkExpired:
        raise Gone("This link has expired; ask for a new one.") from None
    except links.LinkInvalid:
        raise NotFound("Not found.") from None
    try:
        if grant.height is None:
            return _original(grant)
        return _thumbnail(grant, grant.height, accept)
    except processing.ImageRejected:
        # Stored before a stricter limit (e.g. a lowered MAX_IMAGE_PIXELS) took effect.
        logger.error("image %s: its thumbnails cannot be made", grant.image_key, exc_info=True)
        raise NotFound("Not found.") from None
    except STORAGE_ERRORS as exc:
        if storage.is_missing(exc):
            logger.error("image %s: a stored file is missing", grant.image_key, exc_info=True)
            raise NotFound("Not found.") from None
        logger.warning("image %s: storage unavailable: %s", grant.image_key, exc)
        raise Unavailable(storage.UNAVAILABLE) from exc


def _original(grant: links.Grant) -> MediaFile:
    image = selectors.image_for_link(grant.image_key)
    expiring = grant.expires_at is not None
    if image is None or not entitlements(image.owner).may_serve(expiring=expiring):
        raise NotFound("Not found.")
    return MediaFile(
        name=image.file.name,
        size=image.size,
        format=image.format,
        etag=f'"{image.sha256[:32]}"',
        max_age=settings.MEDIA_CACHE_SECONDS,
        download_name=f"{image.key}.{processing.EXTENSIONS[image.format]}",
        seconds_left=grant.seconds_left(),
    )


def _thumbnail(grant: links.Grant, height: int, accept: str | None) -> MediaFile:
    # The Accept header is weighed against the canonical thumbnail's own type.
    by_source = {
        canonical: preferred_format(
            accept, processing.MIME_TYPES[canonical], settings.THUMBNAIL_FORMATS
        )
        for canonical in THUMBNAIL_FORMATS
    }
    image = None
    if len(set(by_source.values())) > 1:  # the choice depends on the source's format
        image = selectors.image_for_link(grant.image_key)
        if image is None:
            raise NotFound("Not found.")
        modern = by_source[image.thumbnail_format]
    else:
        modern = next(iter(by_source.values()))
    thumb = selectors.thumbnail_for_link(grant.image_key, height, modern)
    if thumb is not None:
        image = thumb.image
    elif image is None:
        image = selectors.image_for_link(grant.image_key)
    if image is None:
        raise NotFound("Not found.")
    allowed = entitlements(image.owner)
    if not allowed.may_serve(height=height):
        raise NotFound("Not found.")
    if thumb is None:
        # Made on first request when the background work has not run (yet): in the
        # canonical format, every height the tier has, from one decode.
        wanted: Iterable[int] = [height] if modern else allowed.heights
        thumb = ensure_thumbnails(image, wanted, fmt=modern)[height]
    return _thumbnail_file(image, thumb, height)


def _thumbnail_file(image: Image, thumb: Thumbnail, height: int) -> MediaFile:
    return MediaFile(
        name=thumb.file.name,
        size=thumb.size,
        format=thumb.format,
        etag=f'"t{thumb.pk}-{thumb.format.lower()}"',
        max_age=settings.MEDIA_CACHE_SECONDS,
        shared=True,
        download_name=f"{image.key}-{height}.{processing.EXTENSIONS[thumb.format]}",
        varies_on_accept=bool(settings.THUMBNAIL_FORMATS),
    )
