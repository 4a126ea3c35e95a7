"""The read queries of the image domain, each written once.

A thumbnail is listed in its *canonical* format, the source's own (JPEG stays JPEG, PNG
stays PNG); WebP and AVIF variants made for ``Accept`` are the same thumbnail to the API.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db.models import F, Q, QuerySet

from accounts.models import User
from accounts.tiers import Entitlements, entitlements
from images.models import Image, Thumbnail

CANONICAL_FORMAT = Q(format=F("image__format"))
# What an image answer needs, and nothing else.
IMAGE_COLUMNS = ("id", "key", "width", "height", "format", "size", "placeholder", "created_at")
KEYSET_CHUNK = 500


def owned_images(user: User) -> QuerySet[Image]:
    return Image.objects.filter(owner=user)


def image_rows(user: User) -> QuerySet:
    """The user's images, newest first, as plain dicts of :data:`IMAGE_COLUMNS`."""
    return owned_images(user).values(*IMAGE_COLUMNS)


def owned_thumbnails(user: User) -> QuerySet[Thumbnail]:
    """All the user's thumbnails, newest image first, whether their tier shows them or not."""
    return Thumbnail.objects.filter(CANONICAL_FORMAT, image__owner=user).order_by(
        "-image__created_at", "-image_id", "height"
    )


def visible_thumbnails(user: User, allowed: Entitlements) -> QuerySet[Thumbnail]:
    """The user's thumbnails at heights their tier has now."""
    return owned_thumbnails(user).filter(height__in=allowed.heights)


def thumbnail_rows(queryset: QuerySet[Thumbnail]) -> QuerySet:
    return queryset.values(
        "id", "image_id", "height", "image__key", "image__width", "image__height"
    )


def image_for_link(image_key: str) -> Image | None:
    """The image a media link names, with what delivery needs to judge the grant."""
    return Image.objects.select_related("owner__tier").filter(key=image_key).first()


def canonical_heights(image_ids: Iterable[int]) -> dict[int, set[int]]:
    """Heights each image already has in its canonical format."""
    have: dict[int, set[int]] = defaultdict(set)
    rows = Thumbnail.objects.filter(CANONICAL_FORMAT, image__in=list(image_ids))
    for image_id, height in rows.values_list("image_id", "height"):
        have[image_id].add(height)
    return have


def images_missing_thumbnails(user_ids: Iterable[int] | None = None) -> Iterator[int]:
    """Ids of images lacking a thumbnail their owner's tier includes, oldest first."""
    images = Image.objects.select_related("owner__tier").order_by("pk")
    if user_ids is not None:
        images = images.filter(owner_id__in=list(user_ids))
    last_pk = 0
    # Keyset pages: no cursor stays open while the caller writes thumbnails.
    while chunk := list(images.filter(pk__gt=last_pk)[:KEYSET_CHUNK]):
        last_pk = chunk[-1].pk
        have = canonical_heights(image.pk for image in chunk)
        for image in chunk:
            if set(entitlements(image.owner).heights) - have[image.pk]:
                yield image.pk


def thumbnail_for_link(image_key: str, height: int, fmt: str | None) -> Thumbnail | None:
    """A stored thumbnail a media link asks for, with its image, owner and tier: one query.

    ``fmt`` None means the canonical format.
    """
    wanted = CANONICAL_FORMAT if fmt is None else Q(format=fmt)
    return (
        Thumbnail.objects.select_related("image__owner__tier")
        .filter(wanted, image__key=image_key, height=height)
        .first()
    )
