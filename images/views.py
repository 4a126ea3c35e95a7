"""HTTP layer for images, thumbnails and expiring links: translate, delegate, answer."""

from django.db.models import F
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import DetailSerializer
from accounts.tiers import entitlements
from images import services
from images.api_cache import cached_read
from images.models import Image, Thumbnail
from images.pagination import OptionalLimitOffsetPagination
from images.serializers import (
    ExpiringLinkSerializer,
    ImageSerializer,
    ImageUploadSerializer,
    LinkQuerySerializer,
    ThumbnailSerializer,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "unavailable"


NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such object of yours.")
PAGINATION_PARAMETERS = [
    OpenApiParameter(
        "limit", int, description="Page size (max 100). Without it the full list is returned."
    ),
    OpenApiParameter("offset", int, description="Items to skip; used with limit."),
]
IMAGE_EXAMPLE = OpenApiExample(
    "Premium user's image",
    response_only=True,
    value={
        "id": 42,
        "image": "https://images.example.com/media/eyJrIjoiM2Y…:9Vb…",
        "thumbnails": [
            {"height": 200, "url": "https://images.example.com/media/eyJrIjoiM2Y…:Qx1…"},
            {"height": 400, "url": "https://images.example.com/media/eyJrIjoiM2Y…:K0p…"},
        ],
        "width": 4032,
        "height": 3024,
        "format": "JPEG",
        "size": 2481337,
        "created_at": "2026-11-27T10:00:00Z",
    },
)


class _OwnedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve and delete the signed-in user's objects; reads cached per user.

    Objects of other users do not exist, as far as the API says (404, never 403).
    """

    lookup_value_regex = r"[0-9]+"
    pagination_class = OptionalLimitOffsetPagination

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["entitlements"] = entitlements(self.request.user)
        return context

    def list(self, request: Request, *args, **kwargs) -> Response:
        return cached_read(request, lambda: super(_OwnedViewSet, self).list(request))

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return cached_read(request, lambda: super(_OwnedViewSet, self).retrieve(request, **kwargs))


@extend_schema_view(
    list=extend_schema(summary="List your images", parameters=PAGINATION_PARAMETERS),
    retrieve=extend_schema(
        summary="One of your images",
        responses={200: ImageSerializer, 404: NOT_FOUND},
        examples=[IMAGE_EXAMPLE],
    ),
    destroy=extend_schema(
        summary="Delete an image with its thumbnails", responses={204: None, 404: NOT_FOUND}
    ),
)
@extend_schema(tags=["images"])
class ImageViewSet(mixins.CreateModelMixin, _OwnedViewSet):
    def get_queryset(self):
        return Image.objects.filter(owner=self.request.user)

    def get_serializer_class(self):
        # The browsable API builds its upload form from this.
        if self.request is not None and self.request.method == "POST":
            return ImageUploadSerializer
        return ImageSerializer

    def get_parsers(self):
        if self.request is not None and self.request.method == "POST":
            return [MultiPartParser(), FormParser()]
        return super().get_parsers()

    @extend_schema(
        summary="Upload an image",
        description=(
            "Multipart form with an `image` field holding a JPEG or PNG. The response lists "
            "the thumbnail links of your tier and, if your tier has it, the original link."
        ),
        request={"multipart/form-data": ImageUploadSerializer},
        responses={
            201: ImageSerializer,
            400: OpenApiResponse(
                description="Not a JPEG or PNG, corrupt, or over a size limit.",
                examples=[
                    OpenApiExample(
                        "Unsupported",
                        value={"image": ["Only JPEG and PNG images are accepted; this is GIF."]},
                    )
                ],
            ),
            503: OpenApiResponse(DetailSerializer, description="Storage unavailable; retry."),
        },
        examples=[IMAGE_EXAMPLE],
    )
    def create(self, request: Request) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            image = services.upload_image(request.user, form.validated_data["image"])
        except services.UploadRejected as exc:
            raise ValidationError({"image": [str(exc)]}, code=exc.code) from exc
        except services.StorageUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from exc
        body = ImageSerializer(image, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Image) -> None:
        services.delete_image(instance)


@extend_schema_view(
    list=extend_schema(summary="List your thumbnails", parameters=PAGINATION_PARAMETERS),
    retrieve=extend_schema(
        summary="One of your thumbnails", responses={200: ThumbnailSerializer, 404: NOT_FOUND}
    ),
    destroy=extend_schema(
        summary="Delete a thumbnail your tier no longer includes",
        description=(
            "A thumbnail whose height your tier includes answers 409: its link would make it "
            "again. Thumbnails of heights your tier dropped can be deleted by id (204)."
        ),
        responses={
            204: None,
            404: NOT_FOUND,
            409: OpenApiResponse(DetailSerializer, description="Your tier includes this height."),
        },
    ),
)
@extend_schema(tags=["thumbnails"])
class ThumbnailViewSet(_OwnedViewSet):
    serializer_class = ThumbnailSerializer

    def get_queryset(self):
        thumbnails = Thumbnail.objects.filter(
            image__owner=self.request.user, format=F("image__format")
        )
        if self.action != "destroy":  # heights the tier dropped are hidden, yet deletable
            thumbnails = thumbnails.filter(height__in=entitlements(self.request.user).heights)
        return (
            thumbnails.select_related("image")
            .only("id", "height", "image_id", "image__key")
            .order_by("-image__created_at", "-image_id", "height")
        )

    def perform_destroy(self, instance: Thumbnail) -> None:
        try:
            services.delete_thumbnail(instance)
        except services.StillIncluded as exc:
            raise Conflict(str(exc)) from exc


class ExpiringLinkView(APIView):
    @extend_schema(
        tags=["images"],
        summary="Create a link to the original that expires",
        parameters=[LinkQuerySerializer],
        responses={
            200: ExpiringLinkSerializer,
            400: OpenApiResponse(description="time missing, not a whole number, or out of range."),
            403: OpenApiResponse(DetailSerializer, description="Your tier has no expiring links."),
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "Link",
                response_only=True,
                value={"url": "https://images.example.com/media/eyJrIjoi…:X2c…", "expires_in": 300},
            )
        ],
    )
    def get(self, request: Request, id: int) -> Response:
        try:
            # The tier is checked first: its answer holds whatever id or time is asked.
            services.check_expiring_links_allowed(request.user)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        image = get_object_or_404(Image.objects.filter(owner=request.user), pk=id)
        query = LinkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        seconds = query.validated_data["time"]
        path = services.expiring_link(request.user, image, seconds)
        return Response({"url": request.build_absolute_uri(path), "expires_in": seconds})
