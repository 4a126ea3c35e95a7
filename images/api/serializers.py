"""What the image endpoints take and give.

Answers are built as plain dicts by :class:`Answers` from the columns the selectors read:
a list of a thousand images costs a thousand small dicts and links, not a thousand
serializer instances. The serializer classes below describe the same shapes for the
OpenAPI document and validate the inputs.
"""

from django.utils.functional import lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from accounts.tiers import Entitlements
from accounts.tiers.policy import expiring_link_bounds
from imageapi import limits
from images import processing
from images.delivery.links import LinkMaker
from images.processing.formats import accepted_formats


class Answers:
    """Builds one request's answers: links share a prefix and a key worked out once."""

    def __init__(
        self, request: Request | None, allowed: Entitlements, *, base_url: str | None = None
    ) -> None:
        """``base_url`` (scheme and host) makes absolute links where there is no request."""
        if base_url is not None:
            self.links = LinkMaker.at(base_url)
        else:
            self.links = LinkMaker.for_request(request)
        self.allowed = allowed
        self._sizes: dict[tuple[int, int], dict[int, tuple[int, int]]] = {}

    def sizes(self, width: int, height: int) -> dict[int, tuple[int, int]]:
        """Thumbnail sizes by tier height (a list repeats a few camera sizes: once each)."""
        found = self._sizes.get((width, height))
        if found is None:
            found = processing.plan_sizes(width, height, self.allowed.heights)
            self._sizes[(width, height)] = found
        return found

    def image(self, row: dict) -> dict:
        """An image as its owner's tier lets them see it now (``row``: selectors' columns)."""
        key, links = bytes.fromhex(row["key"]), self.links
        sizes = self.sizes(row["width"], row["height"])
        first_of_size: dict[tuple[int, int], int] = {}
        for height in self.allowed.heights:  # ascending
            first_of_size.setdefault(sizes[height], height)
        return {
            "id": row["id"],
            "image": links.original(key) if self.allowed.original_link else None,
            "thumbnails": [
                {
                    "height": height,
                    "url": links.thumbnail(key, height),
                    "width": sizes[height][0],
                    "actual_height": sizes[height][1],
                    "same_size_as": (
                        None
                        if first_of_size[sizes[height]] == height
                        else first_of_size[sizes[height]]
                    ),
                }
                for height in self.allowed.heights
            ],
            "width": row["width"],
            "height": row["height"],
            "format": row["format"],
            "size": row["size"],
            "created_at": row["created_at"],
            "placeholder": row["placeholder"] or None,
        }

    def thumbnail(self, row: dict) -> dict:
        height = row["height"]
        width, actual_height = processing.plan_sizes(
            row["image__width"], row["image__height"], [height]
        )[height]
        return {
            "id": row["id"],
            "image_id": row["image_id"],
            "height": height,
            "thumbnail": self.links.thumbnail(row["image__key"], height),
            "width": width,
            "actual_height": actual_height,
        }


class ThumbnailLinkSerializer(serializers.Serializer):
    height = serializers.IntegerField(help_text="The tier height (the image may be smaller).")
    url = serializers.URLField(help_text="Signed link; works without credentials.")
    width = serializers.IntegerField(help_text="Real width in pixels, for srcset.")
    actual_height = serializers.IntegerField(
        help_text="Real height in pixels: the tier height, or less for a smaller original."
    )
    same_size_as = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "The smaller tier height whose thumbnail has exactly this size (the original is "
            "smaller than both), or null. Leave such entries out of srcset: two candidates "
            "of one width are invalid there."
        ),
    )


class ImageSerializer(serializers.Serializer):
    """An image as its owner's tier lets them see it now."""

    id = serializers.IntegerField()
    image = serializers.URLField(
        allow_null=True,
        help_text="Signed link to the original; null when the tier has no original link.",
    )
    thumbnails = ThumbnailLinkSerializer(many=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.ChoiceField(choices=processing.SOURCE_FORMATS)
    size = serializers.IntegerField(help_text="Bytes.")
    created_at = serializers.DateTimeField()
    placeholder = serializers.CharField(
        allow_null=True,
        help_text=(
            "BlurHash (https://blurha.sh) of the image, to show while a thumbnail loads; "
            "made from the upload itself, so null only if it could not be made."
        ),
    )


def _upload_help() -> str:
    return (
        f"An image file ({accepted_formats()}; judged by its content; animations give their "
        f"first frame), at most {limits.max_upload_bytes():,} bytes and "
        f"{limits.max_image_pixels():,} pixels (your tier may allow fewer: see /api/user/me/)."
    )


@extend_schema_field({"type": "string", "format": "binary", "minLength": 1})
class UploadField(serializers.FileField):
    """The upload's file: described as non-empty, since an empty file is refused (by the
    upload checks, with their own message: hence ``allow_empty_file`` below)."""


class ImageUploadSerializer(serializers.Serializer):
    # Described when the schema is made, not at import: the limits are settings.
    image = UploadField(allow_empty_file=True, help_text=lazy(_upload_help, str)())


class ThumbnailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    image_id = serializers.IntegerField()
    height = serializers.IntegerField(help_text="The tier height (the image may be smaller).")
    thumbnail = serializers.URLField(help_text="Signed link to the thumbnail.")
    width = serializers.IntegerField(help_text="Real width in pixels, for srcset.")
    actual_height = serializers.IntegerField(
        help_text="Real height in pixels: the tier height, or less for a smaller original."
    )


class LinkQuerySerializer(serializers.Serializer):
    """The bounds are the tier policy's, read when the serializer is made."""

    def get_fields(self) -> dict:
        shortest, longest = expiring_link_bounds()
        return {
            "time": serializers.IntegerField(
                min_value=shortest, max_value=longest, help_text="Seconds the link stays valid."
            )
        }


class ExpiringLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField(help_text="Seconds from now.")
    expires_at = serializers.DateTimeField(
        help_text="When the link stops working (UTC); from then on it answers 410."
    )
