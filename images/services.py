"""The image domain's writes: uploads, deletions, links and thumbnail upkeep. No HTTP here.

Errors are the domain errors of :mod:`imageapi.errors`; the exception handler turns them
into answers. Cached API answers are forgotten by signals (:mod:`images.signals`), so
every path that changes rows (API, admin, shell, cascades) is covered.
"""

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import Tier, User
from accounts.tiers import Entitlements, entitlements, quotas
from imageapi import limits
from imageapi.errors import Conflict, NotFound, Rejected
from images import processing, selectors, signals
from images.delivery import links
from images.files import storage
from images.models import Image, Thumbnail
from images.thumbnails import concurrency, rendering, tasks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Uploaded:
    image: Image
    rate: quotas.UploadRate | None  # the owner's hourly rate after this upload


def upload_image(owner: User, upload: UploadedFile) -> Image:
    """Validate and store an upload, then make its thumbnails (see :func:`upload_and_count`)."""
    return upload_and_count(owner, upload).image


def upload_and_count(owner: User, upload: UploadedFile) -> Uploaded:
    """Validate and store an upload sent through the API, make its thumbnails, and say
    how much of the hourly rate is left.

    Nothing is left behind when the upload is refused or storing it fails.
    """
    data = _read_upload(upload)
    quotas.check_upload(owner, size=len(data))
    return _store(owner, data)


def store_image(
    owner: User,
    data: bytes,
    *,
    before_claim: Callable[[], None] | None = None,
    after_create: Callable[[Image], None] | None = None,
) -> Image:
    """Store bytes that arrived another way (a staged upload): see :func:`_store`."""
    return _store(owner, data, before_claim=before_claim, after_create=after_create).image


def _store(
    owner: User,
    data: bytes,
    *,
    before_claim: Callable[[], None] | None = None,
    after_create: Callable[[Image], None] | None = None,
) -> Uploaded:
    """The one upload pipeline, for every way bytes arrive (the API, staged uploads).

    Decodes at the tier's pixel cap, renders, stores the original and records the image
    under the owner's quota lock. ``before_claim`` and ``after_create`` run in the
    transaction that records the image (a staged upload releases its reservation before
    the claim counts, and links the image after); whatever they raise undoes the image
    and its files. Raises the domain errors a direct upload answers with.
    """
    allowed = entitlements(owner)
    decoded, rendered, placeholder = _decode_and_render(data, allowed)
    info = decoded.info
    del decoded  # the pixels are not needed while the original is stored
    key = secrets.token_hex(16)
    rates: list[quotas.UploadRate | None] = []

    def record(names: list[str]) -> Image:
        with transaction.atomic():
            if before_claim is not None:
                before_claim()
            # Under the owner's lock: two uploads racing for the last slot take turns.
            rates[:] = [quotas.claim_upload(owner, size=len(data), pixels=info.width * info.height)]
            image = Image.objects.create(
                owner=owner,
                key=key,
                file=names[0],
                width=info.width,
                height=info.height,
                format=info.format,
                thumbnail_format=info.thumbnail_format,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                placeholder=placeholder,
            )
            if after_create is not None:
                after_create(image)
            return image

    name = f"originals/{key[:2]}/{key}.{processing.EXTENSIONS[info.format]}"
    image = storage.save_then_record({name: data}, record)

    if tasks.in_background():
        tasks.schedule_thumbnails(image.pk)
    elif rendered:
        try:
            rendering.store_rendered(image, image.thumbnail_format, rendered)
        except Exception:
            logger.exception("thumbnails for image %s failed; they will be made on demand", key)
    signals.announce_ready(image)
    return Uploaded(image, rates[0])


def _read_upload(upload: UploadedFile) -> bytes:
    """The upload's bytes; :class:`TooLarge` past ``MAX_UPLOAD_BYTES`` (read no further)."""
    limit = limits.max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise limits.upload_too_large(upload.size)
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise limits.upload_too_large()
    return data


def _decode_and_render(
    data: bytes, allowed: Entitlements
) -> tuple[processing.Decoded, list[processing.RenderedThumbnail], str]:
    """Decode once, bounded by the tier's pixel cap from the header; render in the
    request when no worker will. The placeholder comes from the same decode either way,
    so the upload's answer carries it even when a worker makes the thumbnails later."""
    heights = allowed.heights
    rendered: list[processing.RenderedThumbnail] = []
    with concurrency.decode_slot():  # one slot for the decode and what is made from it
        try:
            # The decode that makes the thumbnails: accepted means renderable.
            limits_ = rendering.processing_limits(max_pixels=allowed.max_pixels)
            decoded = processing.decode(data, heights, limits=limits_)
        except processing.ImageRejected as exc:
            if exc.pixels is not None and (refusal := allowed.pixels_refused(exc.pixels)):
                raise refusal from exc
            raise Rejected(str(exc), code=exc.code, field="image") from exc
        if heights and not tasks.in_background():
            try:
                rendered = rendering.render(
                    decoded, heights, fmt=decoded.info.thumbnail_format, output=None
                )
            except Exception:
                logger.exception("thumbnails for an upload failed; they will be made on demand")
        placeholder = rendering.placeholder_of(rendered) or rendering.placeholder_from(decoded)
    return decoded, rendered, placeholder


def delete_image(image: Image) -> None:
    """Delete the image and its thumbnails; their files go once the deletion commits.

    The image row is locked first, so a thumbnail being made meanwhile either lands
    before (and is deleted with the rest) or finds the image gone.
    """
    with transaction.atomic():
        locked = Image.objects.select_for_update().filter(pk=image.pk).first()
        if locked is not None:
            locked.delete()


def delete_thumbnail(owner: User, thumbnail: Thumbnail) -> None:
    """Delete a thumbnail the owner's tier no longer includes, in every format it was made in.

    A height the tier includes is refused: its link would make it again on the next fetch.
    """
    if entitlements(owner).allows_height(thumbnail.height):
        raise Conflict(
            f"Your tier includes {thumbnail.height} px thumbnails, so this one would be made "
            "again the next time its link is fetched. Delete the image to remove it.",
            code="still_included",
        )
    same = Thumbnail.objects.filter(image_id=thumbnail.image_id, height=thumbnail.height)
    same.select_related("image").delete()


def expiring_link(user: User, image_id: int, seconds: int, now: float | None = None) -> str:
    """A path to one of the user's originals that works for ``seconds`` from ``now``
    (a Unix time; default: this moment), counted in whole seconds.

    Callers ask the user's entitlements first (the view does, through its permission),
    so that a tier without expiring links is told so whatever id or time it sent.
    """
    key = selectors.owned_images(user).filter(pk=image_id).values_list("key", flat=True).first()
    if key is None:
        raise NotFound("Not found.")
    return links.expiring_path(key, seconds, now)


def generate_missing_thumbnails(image_id: int) -> None:
    """Give the image every thumbnail its owner's tier now has. Idempotent."""
    image = Image.objects.select_related("owner__tier").filter(pk=image_id).first()
    if image is None:
        return  # deleted since the work was queued
    try:
        rendering.ensure_thumbnails(image, entitlements(image.owner).heights)
    except NotFound:
        logger.info("image %s was deleted while its thumbnails were made", image_id)


def backfill_for_users(user_ids: Iterable[int]) -> None:
    """Make the thumbnails these users' tiers now include, in the background if possible."""
    tasks.schedule_backfill(list(user_ids))


def backfill_for_tier(tier: Tier) -> None:
    """After a tier gained heights: its users' images get the new thumbnails."""
    users = tier.users.filter(images__isnull=False).distinct()
    backfill_for_users(users.values_list("pk", flat=True))


def backfill_user(user_id: int) -> None:
    for image_id in selectors.images_missing_thumbnails(user_ids=[user_id]):
        generate_missing_thumbnails(image_id)
