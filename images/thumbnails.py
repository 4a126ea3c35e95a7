"""Thumbnail generation: the one place that turns stored originals into thumbnails."""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save

from imageapi import metrics
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
    )


def processing_limits() -> processing.Limits:
    return processing.Limits(
        max_pixels=settings.MAX_IMAGE_PIXELS,
        max_decode_bytes=settings.MAX_DECODE_BYTES,
        max_jpeg_scans=settings.MAX_JPEG_SCANS,
    )


def render(
    source: bytes | processing.Decoded, heights: Iterable[int], *, fmt: str, output: str | None
) -> list[processing.Thumbnail]:
    """Thumbnails of the original in ``fmt`` (``output`` None: the source's own), encoded
    with the product's settings; nothing is stored."""
    with metrics.rendering(fmt) as made:
        made[:] = processing.render_thumbnails(
            source,
            heights,
            options=thumbnail_options(),
            limits=processing_limits(),
            output_format=output,
        )
    return made


def placeholder_of(rendered: list[processing.Thumbnail]) -> str:
    """The BlurHash of the smallest thumbnail ("" when there is none to make it from)."""
    if not rendered:
        return ""
    try:
        return processing.placeholder(min(rendered, key=lambda t: t.height).content)
    except processing.DECODE_ERRORS:
        logger.warning("no placeholder could be made", exc_info=True)
        return ""


def ensure_thumbnails(
    image: Image,
    heights: Iterable[int],
    *,
    fmt: str | None = None,
    original: bytes | processing.Decoded | None = None,
) -> dict[int, Thumbnail]:
    """Make sure the image has a thumbnail for each height in ``fmt``; return them by height.

    Only missing ones are rendered, all from one decode of the original. Safe to run
    concurrently: when two workers race, the loser's files are removed and the winner's
    rows are returned. When the image is deleted meanwhile, :class:`NotFound` is raised
    and no file is left behind.
    """
    fmt = fmt or image.format
    wanted = sorted(set(heights))
    rows = Thumbnail.objects.filter(image=image, format=fmt, height__in=wanted)
    existing = {t.height: t for t in rows}
    missing = [h for h in wanted if h not in existing]
    if not missing:
        return existing
    if original is None:
        original = storage.read(image.file.name)
    output = None if fmt == image.format else fmt
    rendered = render(original, missing, fmt=fmt, output=output)
    if output is None and not image.placeholder:
        # Before the rows that show it, so no answer lists the thumbnails without it.
        image.placeholder = placeholder_of(rendered)
        Image.objects.filter(pk=image.pk).update(placeholder=image.placeholder)
    existing.update(store_rendered(image, fmt, rendered))
    return existing


def store_rendered(
    image: Image, fmt: str, rendered: list[processing.Thumbnail]
) -> dict[int, Thumbnail]:
    """Store rendered thumbnails of ``image`` (files, then rows); return them by height."""
    try:
        return _store(image, fmt, rendered)
    except IntegrityError:
        # Another worker stored some of them first: keep theirs, store the rest alone.
        return {t.requested_height: _store_one(image, fmt, t) for t in rendered}


def _store_one(image: Image, fmt: str, thumb: processing.Thumbnail) -> Thumbnail:
    height = thumb.requested_height
    try:
        return _store(image, fmt, [thumb])[height]
    except IntegrityError:
        winner = Thumbnail.objects.filter(image_id=image.pk, format=fmt, height=height).first()
        if winner is None:
            raise NotFound("Not found.") from None
        return winner


def _store(image: Image, fmt: str, rendered: list[processing.Thumbnail]) -> dict[int, Thumbnail]:
    """Store the files and their rows in one INSERT; files are removed if that fails."""
    ext = processing.EXTENSIONS[fmt]
    files = {
        f"thumbnails/{image.key}/{t.requested_height}-{secrets.token_hex(4)}.{ext}": t.content
        for t in rendered
    }

    def record(names: list[str]) -> dict[int, Thumbnail]:
        rows = [
            Thumbnail(
                image=image,
                height=thumb.requested_height,
                format=fmt,
                file=name,
                width=thumb.width,
                actual_height=thumb.height,
                size=len(thumb.content),
            )
            for thumb, name in zip(rendered, names, strict=True)
        ]
        try:
            with transaction.atomic():
                Thumbnail.objects.bulk_create(rows)
        except IntegrityError:
            if not Image.objects.filter(pk=image.pk).exists():
                raise NotFound("Not found.") from None
            raise
        for row in rows:
            post_save.send(sender=Thumbnail, instance=row, created=True)
        return {row.height: row for row in rows}

    return storage.save_then_record(files, record)
