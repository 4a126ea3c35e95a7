"""The image domain: uploads, deletions, links and thumbnail upkeep. No HTTP here."""

import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F

from accounts.models import Tier, User
from accounts.tiers import entitlements
from imageapi.outages import STORAGE_ERRORS
from images import api_cache, links, processing, quotas, tasks
from images.models import Image, Thumbnail
from images.thumbnails import EXTENSIONS, ensure_thumbnails

logger = logging.getLogger(__name__)

CHUNK = 500


class UploadRejected(Exception):
    """The upload is not an image we accept; the message says why, for a person."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class StorageUnavailable(Exception):
    """Object storage could not take or give a file; the client may retry."""


class NotAllowed(Exception):
    """The user's tier does not include this feature."""


def upload_too_large_message(size: int | None = None) -> str:
    limit = settings.MAX_UPLOAD_BYTES
    got = f"The file is {size:,} bytes; " if size is not None else "The file is too large; "
    return f"{got}the limit is {limit:,} bytes ({limit / 1048576:g} MiB, MAX_UPLOAD_BYTES)."


def upload_image(owner: User, upload: UploadedFile) -> Image:
    """Validate and store an upload, then make its thumbnails.

    Nothing is left behind when the upload is refused or storing it fails.
    """
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise UploadRejected(upload_too_large_message(upload.size), code="too_large")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(upload_too_large_message(), code="too_large")
    quotas.check_upload(owner, size=len(data))
    try:
        info = processing.inspect(data, max_pixels=settings.MAX_IMAGE_PIXELS)
    except processing.ImageRejected as exc:
        raise UploadRejected(str(exc), code=exc.code) from exc

    key = secrets.token_hex(16)
    try:
        name = default_storage.save(
            f"originals/{key[:2]}/{key}.{EXTENSIONS[info.format]}", ContentFile(data)
        )
    except STORAGE_ERRORS as exc:
        logger.exception("storing original %s failed", key)
        raise StorageUnavailable("The image store is unavailable; try again shortly.") from exc
    try:
        with transaction.atomic():
            quotas.claim_upload(owner, size=len(data), pixels=info.width * info.height)
            image = Image.objects.create(
                owner=owner,
                key=key,
                file=name,
                width=info.width,
                height=info.height,
                format=info.format,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
            )
    except BaseException:
        default_storage.delete(name)
        raise
    api_cache.invalidate_user(owner.pk)

    heights = entitlements(owner).heights
    if tasks.in_background():
        tasks.schedule_thumbnails(image.pk)
    elif heights:
        try:
            ensure_thumbnails(image, heights, original=data)
        except Exception:
            logger.exception("thumbnails for image %s failed; they will be made on demand", key)
    return image


def delete_image(image: Image) -> None:
    """Delete the image; its files go once the deletion commits (see signals)."""
    owner_id = image.owner_id
    image.delete()
    api_cache.invalidate_user(owner_id)


def delete_thumbnail(thumbnail: Thumbnail) -> None:
    """Delete a thumbnail in every format it was made in."""
    image = thumbnail.image
    Thumbnail.objects.filter(image=image, height=thumbnail.height).delete()
    api_cache.invalidate_user(image.owner_id)


def check_expiring_links_allowed(user: User) -> None:
    if not entitlements(user).expiring_links:
        raise NotAllowed("Your tier does not include expiring links.")


def expiring_link(user: User, image: Image, seconds: int) -> str:
    """A path to the original that works for ``seconds``, for tiers that have them."""
    check_expiring_links_allowed(user)
    return links.expiring_path(image.key, seconds)


def generate_missing_thumbnails(image_id: int) -> None:
    """Give the image every thumbnail its owner's tier now has. Idempotent."""
    image = Image.objects.select_related("owner__tier").filter(pk=image_id).first()
    if image is None:
        return  # deleted since the work was queued
    ensure_thumbnails(image, entitlements(image.owner).heights)


def backfill_for_users(user_ids: Iterable[int]) -> None:
    """Make the missing thumbnails of these users' images (in the background when a
    worker runs), e.g. after their tier changed."""
    tasks.schedule_backfill(list(user_ids))


def backfill_for_tier(tier: Tier) -> None:
    """Make the missing thumbnails of every image whose owner is on this tier."""
    owners = tier.users.filter(images__isnull=False).distinct().values_list("pk", flat=True)
    backfill_for_users(owners)


def images_missing_thumbnails(user_ids: Iterable[int] | None = None) -> Iterator[int]:
    """Ids of images lacking a thumbnail their owner's tier includes, oldest first."""
    images = Image.objects.select_related("owner__tier").order_by("pk")
    if user_ids is not None:
        images = images.filter(owner_id__in=list(user_ids))
    last_pk = 0
    # Keyset pages: no cursor stays open while the caller writes thumbnails.
    while chunk := list(images.filter(pk__gt=last_pk)[:CHUNK]):
        last_pk = chunk[-1].pk
        have: dict[int, set[int]] = defaultdict(set)
        thumbs = Thumbnail.objects.filter(
            image__in=[image.pk for image in chunk], format=F("image__format")
        ).values_list("image_id", "height")
        for image_id, height in thumbs:
            have[image_id].add(height)
        for image in chunk:
            if set(entitlements(image.owner).heights) - have[image.pk]:
                yield image.pk
