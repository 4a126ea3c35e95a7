"""Thumbnail generation: the one place that turns stored originals into thumbnails."""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from imageapi import metrics
from images import api_cache, processing
from images.models import Image, Thumbnail

logger = logging.getLogger(__name__)

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "AVIF": "avif"}


def thumbnail_options() -> processing.ThumbnailOptions:
    return processing.ThumbnailOptions(
        jpeg_quality=settings.THUMBNAIL_JPEG_QUALITY,
        jpeg_progressive=settings.THUMBNAIL_JPEG_PROGRESSIVE,
        jpeg_optimize=settings.THUMBNAIL_JPEG_OPTIMIZE,
        webp_quality=settings.THUMBNAIL_WEBP_QUALITY,
        avif_quality=settings.THUMBNAIL_AVIF_QUALITY,
        max_pixels=settings.MAX_IMAGE_PIXELS,
    )


def read_original(image: Image) -> bytes:
    with default_storage.open(image.file.name, "rb") as fh:
        return fh.read()


def ensure_thumbnails(
    image: Image,
    heights: Iterable[int],
    *,
    fmt: str | None = None,
    original: bytes | None = None,
) -> dict[int, Thumbnail]:
    """Make sure the image has a thumbnail for each height in ``fmt``; return them by height.

    Only missing ones are rendered, all from one decode of the original, and the
    owner's cached API answers are forgotten when any were made (their thumbnail list
    changed). Safe to run concurrently: when two workers race, the loser's file is
    removed and the winner's row is returned.
    """
    fmt = fmt or image.format
    wanted = sorted(set(heights))
    existing = {
        t.height: t for t in Thumbnail.objects.filter(image=image, format=fmt, height__in=wanted)
    }
    missing = [h for h in wanted if h not in existing]
    if not missing:
        return existing
    if original is None:
        original = read_original(image)
    output = None if fmt == image.format else fmt
    with metrics.rendering(fmt) as made:
        rendered = made[:] = processing.render_thumbnails(
            original, missing, options=thumbnail_options(), output_format=output
        )
    for thumb in rendered:
        existing[thumb.requested_height] = _store(image, fmt, thumb)
    api_cache.invalidate_user(image.owner_id)
    return existing


def _store(image: Image, fmt: str, thumb: processing.Thumbnail) -> Thumbnail:
    ext = EXTENSIONS[thumb.format]
    name = default_storage.save(
        f"thumbnails/{image.key}/{thumb.requested_height}-{secrets.token_hex(4)}.{ext}",
        ContentFile(thumb.content),
    )
    try:
        with transaction.atomic():
            return Thumbnail.objects.create(
                image=image,
                height=thumb.requested_height,
                format=fmt,
                file=name,
                width=thumb.width,
                actual_height=thumb.height,
                size=len(thumb.content),
            )
    except IntegrityError:
        # Another worker stored the same thumbnail first: keep theirs.
        default_storage.delete(name)
        return Thumbnail.objects.get(image=image, height=thumb.requested_height, format=fmt)
