"""The read queries of the image domain, each written once.

A thumbnail is listed in its *canonical* format, the image's ``thumbnail_format`` (JPEG
stays JPEG, PNG stays PNG, HEIC becomes JPEG, GIF becomes PNG: the format table's);
WebP and AVIF variants made for ``Accept`` are the same thumbnail to the API.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import F, Q, QuerySet

from accounts.models import User
from accounts.tiers import Entitlements, entitlements
from images.models import Image, Thumbnail

CANONICAL_FORMAT = Q(format=F("image__thumbnail_format"))
# What an image answer needs, and nothing else.
IMAGE_COLUMNS = ("id", "key", "width", "height", "format", "size", "placeholder", "created_at")
# The orders lists are given in, newest image first; each ends in a unique column, so a
# row's values say exactly where a keyset page starts (``keyset_chunks``, cursors).
IMAGE_ORDER = ("-created_at", "-id")
THUMBNAIL_ORDER = ("-image__created_at", "-image_id", "height", "id")
KEYSET_CHUNK = 500


def owned_images(user: User) -> QuerySet[Image]:
    return Image.objects.filter(owner=user)


def image_rows(user: User) -> QuerySet:
    """The user's images, newest first, as plain dicts of :data:`IMAGE_COLUMNS`."""
    return owned_images(user).values(*IMAGE_COLUMNS)


def image_row(image_id: int) -> dict | None:
    """One image as a dict of :data:`IMAGE_COLUMNS`, whoever owns it (None if it is gone)."""
    return Image.objects.filter(pk=image_id).values(*IMAGE_COLUMNS).first()


def owned_thumbnails(user: User) -> QuerySet[Thumbnail]:
    """All the user's thumbnails, newest image first, whether their tier shows them or not."""
    return Thumbnail.objects.filter(CANONICAL_FORMAT, image__owner=user).order_by(*THUMBNAIL_ORDER)


def visible_thumbnails(user: User, allowed: Entitlements) -> QuerySet[Thumbnail]:
    """The user's thumbnails at heights their tier has now."""
    return owned_thumbnails(user).filter(height__in=allowed.heights)


def thumbnail_rows(queryset: QuerySet[Thumbnail]) -> QuerySet:
    return queryset.values(
        "id",
        "image_id",
        "height",
        "image__key",
        "image__width",
        "image__height",
        "image__created_at",
    )


def keyset_chunks(
    rows: QuerySet, ordering: Sequence[str], size: int, after: dict | None = None
) -> Iterator[list[dict]]:
    """``rows`` (``values()`` dicts holding the ordering columns) in chunks of ``size``,
    from the start or from after the row ``after``.

    Each chunk is one query that starts after the last row of the one before (a keyset,
    not an offset), so no cursor stays open and a long list costs the same per row.
    """
    while True:
        page = rows if after is None else rows.filter(_after(ordering, after))
        chunk = list(page.order_by(*ordering)[:size])
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = chunk[-1]


def _after(ordering: Sequence[str], row: dict) -> Q:
    """Rows that come after ``row`` in ``ordering`` (lexicographic, per-column direction)."""
    later, same = Q(pk__in=[]), Q()
    for column in ordering:
        name = column.lstrip("-")
        later |= same & Q(**{f"{name}__{'lt' if column.startswith('-') else 'gt'}": row[name]})
        same &= Q(**{name: row[name]})
    return later


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
