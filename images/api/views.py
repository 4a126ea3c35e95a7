"""HTTP layer for images, thumbnails and expiring links: translate, delegate, answer.

Reads come from :mod:`images.selectors` and are built by ``Answers``; writes go to
:mod:`images.services`; errors are the domain's, answered by the one exception handler.
"""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import DetailSerializer
from accounts.tiers import entitlements
from imageapi.errors import NotFound
from images import selectors, services
from images.api.cache import cached_answer
from images.api.pagination import OptionalLimitOffsetPagination
from images.api.serializers import (
    Answers,
    ExpiringLinkSerializer,
    ImageSerializer,
    ImageUploadSerializer,
    LinkQuerySerializer,
    ThumbnailSerializer,
)
from images.models import Image, Thumbnail
from uploads.api.idempotency import idempotent

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
        "image": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgEAAAAAf3Gk…",
        "thumbnails": [
            {
                "height": 200,
                "url": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgAAAADIx9w2…",
                "width": 267,
                "actual_height": 200,
            },
            {
                "height": 400,
                "url": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgAAAAGQb3Qe…",
                "width": 533,
                "actual_height": 400,
            },
        ],
        "width": 4032,
        "height": 3024,
        "format": "JPEG",
        "size": 2481337,
        "created_at": "2026-11-27T10:00:00Z",
        "placeholder": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
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
    Subclasses read plain rows (``get_rows``) and shape them with ``answer``.
    """

    lookup_value_regex = r"[0-9]+"
    pagination_class = OptionalLimitOffsetPagination

    def get_rows(self):
        raise NotImplementedError

    def answer(self, answers: Answers, row: dict) -> dict:
        raise NotImplementedError

    def answers(self) -> Answers:
        return Answers(self.request, entitlements(self.request.user))

    def list(self, request: Request, *args, **kwargs) -> Response:
        return cached_answer(request, self._list)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return cached_answer(request, self._retrieve)

    def _list(self) -> Response:
        rows = self.get_rows()
        page = self.paginate_queryset(rows)
        answers = self.answers()
        data = [self.answer(answers, row) for row in (rows if page is None else page)]
        return Response(data) if page is None else self.get_paginated_response(data)

    def _retrieve(self) -> Response:
        row = self.get_rows().filter(pk=self.kwargs["pk"]).first()
        if row is None:
            raise NotFound("Not found.")
        return Response(self.answer(self.answers(), row))


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
        return selectors.owned_images(self.request.user)

    def get_rows(self):
        return selectors.image_rows(self.request.user)

    def answer(self, answers: Answers, row: dict) -> dict:
        return answers.image(row)

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
            "the thumbnail links of your tier and, if your tier has it, the original link. "
            "Send an `Idempotency-Key` header to make retries safe: a retry with the same "
            "key gets the first answer (kept 24 h) and never makes a second image. Large "
            "files from browsers: see `POST /api/user/uploads/` (straight to storage)."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description=(
                    "Any unique string (a UUID): a retry with the same key gets the first "
                    "answer. The same key with another file: 422."
                ),
            )
        ],
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
            422: OpenApiResponse(
                DetailSerializer,
                description="The Idempotency-Key was used for a different request.",
            ),
            503: OpenApiResponse(DetailSerializer, description="Storage unavailable; retry."),
        },
        examples=[IMAGE_EXAMPLE],
    )
    @idempotent
    def create(self, request: Request) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        image = services.upload_image(request.user, form.validated_data["image"])
        row = {column: getattr(image, column) for column in selectors.IMAGE_COLUMNS}
        return Response(self.answers().image(row), status=status.HTTP_201_CREATED)

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
        if self.action == "destroy":  # heights the tier dropped are hidden, yet deletable
            return selectors.owned_thumbnails(self.request.user)
        return selectors.visible_thumbnails(self.request.user, entitlements(self.request.user))

    def get_rows(self):
        return selectors.thumbnail_rows(self.get_queryset())

    def answer(self, answers: Answers, row: dict) -> dict:
        return answers.thumbnail(row)

    def perform_destroy(self, instance: Thumbnail) -> None:
        services.delete_thumbnail(self.request.user, instance)


class ExpiringLinksAllowed(BasePermission):
    """The tier is asked first: its answer holds whatever id or time was sent."""

    def has_permission(self, request: Request, view) -> bool:
        entitlements(request.user).check_expiring_link()
        return True


class ExpiringLinkView(APIView):
    permission_classes = [IsAuthenticated, ExpiringLinksAllowed]

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
                value={
                    "url": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgIAAGk3xR…",
                    "expires_in": 300,
                },
            )
        ],
    )
    def get(self, request: Request, id: int) -> Response:
        query = LinkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        seconds = query.validated_data["time"]
        path = services.expiring_link(request.user, id, seconds)
        return Response({"url": request.build_absolute_uri(path), "expires_in": seconds})
