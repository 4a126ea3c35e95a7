"""Thumbnail generation: the one place that turns stored originals into thumbnails."""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction

from imageapi.errors import NotFound
from images import processing, storage
from images.models import Image, Thumbnail

logger = logging.getLogger(__name__)


def thumbnail_options() -> processing.ThumbnailOptions:
    return processing.ThumbnailOptions(
        jpeg_quality=settings.THUMBNAIL_JPEG_QUALITY,
        jpeg_progressive=settings.THUMBNAIL_JPEG_PROGRESSIVE,
        jpeg_optimize=settings.THUMBNAIL_JPEG_OPTIMIZE,
        webp_quality=settings.THUMBNAIL_WEBP_QUALITY,
        avif_quality=settings.THUMBNAIL_AVIF_QUALITY,
        max_pixels=settings.MAX_IMAGE_PIXELS,
    )


def ensure_thumbnails(
    image: Image,
    heights: Iterable[int],
    *,
    fmt: str | None = None,
    original: bytes | None = None,
) -> dict[int, Thumbnail]:
    """Make sure the image has a thumbnail for each height in ``fmt``; return them by height.

    Only missing ones are rendered, all from one decode of the original. Safe to run
    concurrently: when two workers race, the loser's file is removed and the winner's
    row is returned. When the image is deleted meanwhile, :class:`NotFound` is raised and
    no file is left behind.
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
        original = storage.read(image.file.name)
    output = None if fmt == image.format else fmt
    rendered = processing.render_thumbnails(
        original, missing, options=thumbnail_options(), output_format=output
    )
    for thumb in rendered:
        existing[thumb.requested_height] = _store(image, fmt, thumb)
    return existing


def _store(image: Image, fmt: str, thumb: processing.Thumbnail) -> Thumbnail:
    height = thumb.requested_height
    name = f"thumbnails/{image.key}/{height}-{secrets.token_hex(4)}.{processing.EXTENSIONS[fmt]}"

    def record(stored: str) -> Thumbnail:
        with transaction.atomic():
            return Thumbnail.objects.create(
                image=image,
                height=height,
                format=fmt,
                file=stored,
                width=thumb.width,
                actual_height=thumb.height,
                size=len(thumb.content),
            )

    try:
        return storage.save_then_record(name, thumb.content, record)
    except IntegrityError:
        # Another worker stored the same thumbnail first (keep theirs), or the image
        # was deleted meanwhile (then there is nothing to keep).
        winner = Thumbnail.objects.filter(image_id=image.pk, height=height, format=fmt).first()
        if winner is None:
            raise NotFound("Not found.") from None
        return winner
