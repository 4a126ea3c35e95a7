"""The rules every tier's thumbnail heights obey (model, admin form and command alike)."""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_heights(value: Iterable[object]) -> list[int]:
    """Return the heights sorted, or raise ValidationError naming what is wrong."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("Thumbnail heights must be a list of whole numbers.")
    limit = settings.MAX_THUMBNAIL_HEIGHT
    heights: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ValidationError(f"Thumbnail height {item!r} is not a whole number.")
        if item < 1:
            raise ValidationError(f"Thumbnail height {item} must be a positive number of pixels.")
        if item > limit:
            raise ValidationError(
                f"Thumbnail height {item} is over the limit of {limit} pixels "
                "(MAX_THUMBNAIL_HEIGHT)."
            )
        if item in heights:
            raise ValidationError(f"Thumbnail height {item} is listed twice.")
        heights.append(item)
    return sorted(heights)


def validate_heights(value: Iterable[object]) -> None:
    normalize_heights(value)
