"""Thumbnail generation: the one place that turns stored originals into thumbnails."""

import logging
import secrets
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save

from imageapi import limits, metrics
from imageapi.errors import NotFound, Unavailable
from imageapi.outages import STORAGE_ERRORS
from images import processing
from images.files import storage
from images.models import Image, Thumbnail
from images.thumbnails import concurrency

logger = logging.getLogger(__name__)

# Waiting for a thumbnail someone else is making: polls start fast, then back off.
WAIT_FIRST_PAUSE = 0.05
WAIT_LONGEST_PAUSE = 0.5


def thumbnail_options() -> processing.ThumbnailOptions:
    return processing.ThumbnailOptions(
        jpeg_quality=settings.THUMBNAIL_JPEG_QUALITY,
        jpeg_progressive=settings.THUMBNAIL_JPEG_PROGRESSIVE,
        jpeg_optimize=settings.THUMBNAIL_JPEG_OPTIMIZE,
        webp_quality=settings.THUMBNAIL_WEBP_QUALITY,
        avif_quality=settings.THUMBNAIL_AVIF_QUALITY,
        avif_speed=settings.THUMBNAIL_AVIF_SPEED,
    )


def processing_limits(max_pixels: int | None = None) -> processing.Limits:
    """What one decode may cost: the server's limits, or a lower pixel cap (a tier's)."""
    return processing.Limits(
        max_pixels=max_pixels or limits.max_image_pixels(),
        max_decode_bytes=settings.MAX_DECODE_BYTES,
        max_jpeg_scans=settings.MAX_JPEG_SCANS,
        max_frames=settings.MAX_FRAMES,
        max_tiles=settings.MAX_TILES,
    )


def render(
    source: bytes | processing.Decoded, heights: Iterable[int], *, fmt: str, output: str | None
) -> list[processing.RenderedThumbnail]:
    """Thumbnails of the original in ``fmt`` (``output`` None: the source's own), encoded
    with the product's settings; nothing is stored. Callers hold a decode slot."""
    with metrics.rendering(fmt) as made:
        made[:] = processing.render_thumbnails(
            source,
            heights,
            options=thumbnail_options(),
            limits=processing_limits(),
            output_format=output,
        )
    return made


def placeholder_of(rendered: list[processing.RenderedThumbnail]) -> str:
    """The BlurHash of the smallest thumbnail ("" when there is none to make it from)."""
    if not rendered:
        return ""
    try:
        return processing.placeholder(min(rendered, key=lambda t: t.height).content)
    except processing.DECODE_ERRORS:
        logger.warning("no placeholder could be made", exc_info=True)
        return ""


# The height of the tiny rendering a placeholder is made from when no thumbnail is at
# hand (a worker makes them later, or the tier has none): BlurHash needs little.
PLACEHOLDER_SOURCE_HEIGHT = 32


def placeholder_from(decoded: processing.Decoded) -> str:
    """The BlurHash of an upload from its decode, upright and in sRGB like a thumbnail."""
    try:
        tiny = processing.render_thumbnails(
            decoded,
            [PLACEHOLDER_SOURCE_HEIGHT],
            options=thumbnail_options(),
            limits=processing_limits(),
        )
    except processing.DECODE_ERRORS:
        logger.warning("no placeholder could be made", exc_info=True)
        return ""
    return placeholder_of(tiny)


def store_rendered(
    image: Image, fmt: str, rendered: list[processing.RenderedThumbnail]
) -> dict[int, Thumbnail]:
    """Store rendered thumbnails of ``image`` (files, then rows); return them by height."""
    try:
        return _store(image, fmt, rendered)
    except IntegrityError:
        # Another worker stored some of them first: keep theirs, store the rest alone.
        return {thumb.requested_height: _store_one(image, fmt, thumb) for thumb in rendered}


def ensure_thumbnails(
    image: Image,
    heights: Iterable[int],
    *,
    fmt: str | None = None,
) -> dict[int, Thumbnail]:
    """Make sure the image has a thumbnail for each height in ``fmt``; return them by height.

    Only missing ones are rendered, all from one decode of the stored original. Each thumbnail is
    made once however many ask at the same time: the first to claim it renders it, the
    others wait (at most ``THUMBNAIL_WAIT_SECONDS``) for its row. Should two still race
    (an expired claim, a cache outage), the loser's files are removed and the winner's
    rows returned. When the image is deleted meanwhile, :class:`NotFound` is raised and
    no file is left behind. :class:`Unavailable` when it cannot be made in time.
    """
    fmt = fmt or image.thumbnail_format
    wanted = sorted(set(heights))
    if not wanted:
        return {}
    existing = _stored(image, fmt, wanted)
    missing = [h for h in wanted if h not in existing]
    deadline = time.monotonic() + settings.THUMBNAIL_WAIT_SECONDS
    while missing:
        keys = {concurrency.claim_key(image.pk, h, fmt): h for h in missing}
        mine = concurrency.claim(keys)
        try:
            if mine:
                heights_mine = [keys[key] for key in mine]
                # Whoever held a claim before us may have finished in between.
                existing.update(_stored(image, fmt, heights_mine))
                todo = [h for h in heights_mine if h not in existing]
                if todo:
                    existing.update(_render_and_store(image, fmt, todo))
        finally:
            concurrency.release(mine)
        missing = [h for h in missing if h not in existing]
        if missing:
            existing.update(_wait_for_others(image, fmt, missing, keys, deadline))
            missing = [h for h in missing if h not in existing]
    return existing


def _stored(image: Image, fmt: str, heights: list[int]) -> dict[int, Thumbnail]:
    rows = Thumbnail.objects.filter(image=image, format=fmt, height__in=heights)
    return {t.height: t for t in rows}


def _wait_for_others(
    image: Image, fmt: str, heights: list[int], keys: dict[str, int], deadline: float
) -> dict[int, Thumbnail]:
    """Poll for the rows others are making until they are there or a claim lapses.

    A lapsed claim without its row means its holder failed (or the image is gone): the
    caller then claims it itself.
    """
    claims = {h: key for key, h in keys.items() if h in heights}
    pause = WAIT_FIRST_PAUSE
    while True:
        if time.monotonic() + pause > deadline:
            logger.warning("image %s: thumbnails %s not made in time", image.key, heights)
            raise Unavailable(concurrency.BUSY)
        time.sleep(pause)
        pause = min(pause * 2, WAIT_LONGEST_PAUSE)
        found = _stored(image, fmt, heights)
        pending = [h for h in heights if h not in found]
        if not pending:
            return found
        if not all(concurrency.is_claimed(claims[h]) for h in pending):
            if not Image.objects.filter(pk=image.pk).exists():
                raise NotFound("Not found.")
            return found


def _render_and_store(image: Image, fmt: str, heights: list[int]) -> dict[int, Thumbnail]:
    original = _read_original(image)
    with concurrency.decode_slot():
        logger.info("image %s: rendering %s thumbnails %s", image.key, fmt, heights)
        rendered = render(original, heights, fmt=fmt, output=fmt)
    if fmt == image.thumbnail_format and not image.placeholder:
        # Before the rows that show it, so no answer lists the thumbnails without it.
        image.placeholder = placeholder_of(rendered)
        Image.objects.filter(pk=image.pk).update(placeholder=image.placeholder)
    return store_rendered(image, fmt, rendered)


def _read_original(image: Image) -> bytes:
    """The original's bytes; :class:`NotFound` when it went with its deleted image."""
    try:
        return storage.read(image.file.name)
    except STORAGE_ERRORS as exc:
        if storage.is_missing(exc) and not Image.objects.filter(pk=image.pk).exists():
            raise NotFound("Not found.") from None
        raise


def _store_one(image: Image, fmt: str, thumb: processing.RenderedThumbnail) -> Thumbnail:
    height = thumb.requested_height
    try:
        return _store(image, fmt, [thumb])[height]
    except IntegrityError:
        winner = Thumbnail.objects.filter(image_id=image.pk, format=fmt, height=height).first()
        if winner is None:
            raise NotFound("Not found.") from None
        return winner


def _store(
    image: Image, fmt: str, rendered: list[processing.RenderedThumbnail]
) -> dict[int, Thumbnail]:
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
