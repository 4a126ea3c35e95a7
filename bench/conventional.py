"""The images and thumbnails lists as conventional DRF code would write them.

The yardstick for the API section of the bench: ``ModelSerializer`` classes over model
instances (thumbnails prefetched, so the query count stays constant), every link built
per object with ``reverse()`` + ``request.build_absolute_uri()``, DRF's own token
authentication, and the product's orjson renderer, so renderers do not decide the
comparison. The links are the product's signed media links (one HMAC each, as ours), so
the answers are the product's, byte for byte, and sizes and times compare like for like.

Two more variants of the images list, each one factor away from the yardstick, let the
bench say what each factor of our read path is worth (:mod:`bench.reads`): the same list
rendered by DRF's stdlib-``json`` renderer, and the same list with its links from the
product's link maker (the URL prefix and signing key worked out once per request).
"""

from django.db.models import F, Prefetch
from django.urls import path, reverse
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

# Everything the bench's read path takes from the product comes in here.
from imageapi.renderers import ORJSONRenderer
from images.delivery.links import ORIGINAL, THUMBNAIL, LinkMaker, make_token
from images.models import Image, Thumbnail


class PerObjectLinks:
    """Each link on its own: a signed token, ``reverse()``, ``build_absolute_uri()``."""

    def __init__(self, request) -> None:
        self.request = request

    def _link(self, image_key: str, kind: int, value: int) -> str:
        token = make_token(image_key, kind, value)
        return self.request.build_absolute_uri(reverse("media", kwargs={"token": token}))

    def original(self, image_key: str) -> str:
        return self._link(image_key, ORIGINAL, 0)

    def thumbnail(self, image_key: str, height: int) -> str:
        return self._link(image_key, THUMBNAIL, height)


class ImageSerializer(serializers.ModelSerializer):
    """Three links per Enterprise image: the original and the two thumbnails."""

    image = serializers.SerializerMethodField()
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = Image
        fields = [
            "id",
            "image",
            "thumbnails",
            "width",
            "height",
            "format",
            "size",
            "created_at",
            "placeholder",
        ]

    def get_image(self, image: Image) -> str | None:
        if not self.context["request"].user.tier.original_link:
            return None
        return self.context["links"].original(image.key)

    def get_thumbnails(self, image: Image) -> list[dict]:
        links = self.context["links"]
        first_of_size: dict[tuple[int, int], int] = {}
        answers = []
        for thumbnail in image.visible_thumbnails:  # by height, ascending
            size = (thumbnail.width, thumbnail.actual_height)
            first = first_of_size.setdefault(size, thumbnail.height)
            answers.append(
                {
                    "height": thumbnail.height,
                    "url": links.thumbnail(image.key, thumbnail.height),
                    "width": thumbnail.width,
                    "actual_height": thumbnail.actual_height,
                    "same_size_as": None if first == thumbnail.height else first,
                }
            )
        return answers


class ThumbnailSerializer(serializers.ModelSerializer):
    image_id = serializers.IntegerField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Thumbnail
        fields = ["id", "image_id", "height", "thumbnail", "width", "actual_height"]

    def get_thumbnail(self, thumbnail: Thumbnail) -> str:
        return self.context["links"].thumbnail(thumbnail.image.key, thumbnail.height)


class _Conventional:
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer]
    pagination_class = None
    links = PerObjectLinks

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "links": self.links(self.request)}


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


class StdlibJSONImageList(ImageList):
    """The yardstick with DRF's own renderer (stdlib ``json``) instead of orjson."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]


class LinkMakerImageList(ImageList):
    """The yardstick with the product's link maker instead of a ``reverse()`` per link."""

    links = staticmethod(LinkMaker.for_request)


urlpatterns = [
    path("images/", ImageList.as_view(), name="conventional-images"),
    path("images/<int:pk>/", ImageDetail.as_view(), name="conventional-image"),
    path("thumbnails/", ThumbnailList.as_view(), name="conventional-thumbnails"),
    path("json/images/", StdlibJSONImageList.as_view(), name="conventional-images-json"),
    path("links/images/", LinkMakerImageList.as_view(), name="conventional-images-links"),
]
