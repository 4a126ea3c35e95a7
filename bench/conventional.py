"""The images and thumbnails lists as conventional DRF code would write them.

The yardstick for the API section of the bench: ``ModelSerializer`` classes over model
instances (thumbnails prefetched, so the query count stays constant), every link built
with ``reverse()`` + ``request.build_absolute_uri()`` and not signed, DRF's own token
authentication and JSON renderer. The answers have the product's shapes, so sizes and
times compare like for like. Links point at the product's media route with an unsigned
token: cheaper to reverse than a route of its own, so the comparison does not favour us.
"""

from django.db.models import F, Prefetch
from django.urls import path, reverse
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

from images.models import Image, Thumbnail


def _absolute(request, token: str) -> str:
    return request.build_absolute_uri(reverse("media", kwargs={"token": token}))


class ImageSerializer(serializers.ModelSerializer):
    """Three links per Enterprise image: the original and the two thumbnails."""

    image = serializers.SerializerMethodField()
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = ["id", "image", "thumbnails", "width", "height", "format", "size", "created_at"]

    def get_image(self, image: Image) -> str | None:
        request = self.context["request"]
        if not request.user.tier.original_link:
            return None
        return _absolute(request, f"{image.key}-original")

    def get_thumbnails(self, image: Image) -> list[dict]:
        request = self.context["request"]
        return [
            {
                "height": thumbnail.height,
                "url": _absolute(request, f"{image.key}-{thumbnail.height}"),
                "width": thumbnail.width,
                "actual_height": thumbnail.actual_height,
            }
            for thumbnail in image.visible_thumbnails
        ]


class ThumbnailSerializer(serializers.ModelSerializer):
    image_id = serializers.IntegerField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Thumbnail
        fields = ["id", "image_id", "height", "thumbnail"]

    def get_thumbnail(self, thumbnail: Thumbnail) -> str:
        return _absolute(self.context["request"], f"{thumbnail.image.key}-{thumbnail.height}")


class _Conventional:
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    pagination_class = None


class _Images(_Conventional):
    serializer_class = ImageSerializer

    def get_queryset(self):
        heights = self.request.user.tier.thumbnail_heights
        visible = Thumbnail.objects.filter(height__in=heights, format=F("image__format"))
        return Image.objects.filter(owner=self.request.user).prefetch_related(
            Prefetch(
                "thumbnails", queryset=visible.order_by("height"), to_attr="visible_thumbnails"
            )
        )


class ImageList(_Images, generics.ListAPIView):
    pass


class ImageDetail(_Images, generics.RetrieveAPIView):
    pass


class ThumbnailList(_Conventional, generics.ListAPIView):
    serializer_class = ThumbnailSerializer

    def get_queryset(self):
        return (
            Thumbnail.objects.filter(
                image__owner=self.request.user,
                height__in=self.request.user.tier.thumbnail_heights,
                format=F("image__format"),
            )
            .select_related("image")
            .order_by("-image__created_at", "-image_id", "height")
        )


urlpatterns = [
    path("images/", ImageList.as_view(), name="conventional-images"),
    path("images/<int:pk>/", ImageDetail.as_view(), name="conventional-image"),
    path("thumbnails/", ThumbnailList.as_view(), name="conventional-thumbnails"),
]
