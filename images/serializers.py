from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.tiers import Entitlements
from images import links
from images.models import Image, Thumbnail


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class ThumbnailLinkSerializer(serializers.Serializer):
    height = serializers.IntegerField(help_text="The tier height (the image may be smaller).")
    url = serializers.URLField(help_text="Signed link; works without credentials.")


class ImageSerializer(serializers.ModelSerializer):
    """An image as its owner's tier lets them see it now.

    Needs ``request`` and ``entitlements`` in the context.
    """

    image = serializers.SerializerMethodField(
        help_text="Signed link to the original; null when the tier has no original link."
    )
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = ["id", "image", "thumbnails", "width", "height", "format", "size", "created_at"]
        read_only_fields = fields

    @property
    def _entitlements(self) -> Entitlements:
        return self.context["entitlements"]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_image(self, image: Image) -> str | None:
        if not self._entitlements.original_link:
            return None
        return _absolute(self.context.get("request"), links.original_path(image.key))

    @extend_schema_field(ThumbnailLinkSerializer(many=True))
    def get_thumbnails(self, image: Image) -> list[dict]:
        request = self.context.get("request")
        return [
            {"height": h, "url": _absolute(request, links.thumbnail_path(image.key, h))}
            for h in self._entitlements.heights
        ]


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=True,
        help_text=(
            f"A JPEG or PNG file, at most {settings.MAX_UPLOAD_BYTES:,} bytes and "
            f"{settings.MAX_IMAGE_PIXELS:,} pixels."
        ),
    )


class ThumbnailSerializer(serializers.ModelSerializer):
    image_id = serializers.IntegerField(read_only=True)
    thumbnail = serializers.SerializerMethodField(help_text="Signed link to the thumbnail.")

    class Meta:
        model = Thumbnail
        fields = ["id", "image_id", "height", "thumbnail"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_thumbnail(self, thumbnail: Thumbnail) -> str:
        path = links.thumbnail_path(thumbnail.image.key, thumbnail.height)
        return _absolute(self.context.get("request"), path)


class LinkQuerySerializer(serializers.Serializer):
    time = serializers.IntegerField(
        min_value=settings.EXPIRING_LINK_MIN_SECONDS,
        max_value=settings.EXPIRING_LINK_MAX_SECONDS,
        help_text="Seconds the link stays valid.",
    )


class ExpiringLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in = serializers.IntegerField(help_text="Seconds from now.")
