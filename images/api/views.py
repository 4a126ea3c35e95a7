"""HTTP layer for images, thumbnails and expiring links: translate, delegate, answer.

Reads come from :mod:`images.selectors` and are built by ``Answers``; writes go to
:mod:`images.services`; errors are the domain's, answered by the one exception handler.
"""

import time
from datetime import UTC, datetime

from django.http import HttpResponseBase
from django.utils.functional import cached_property
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiRequest,
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

from accounts.serializers import FIELD_ERRORS, DetailSerializer
from accounts.tiers import entitlements
from imageapi.error_responses import rate_limit_headers
from imageapi.errors import NotFound
from images import processing, selectors, services
from images.api.cache import cached_answer
from images.api.pagination import MAX_OFFSET, KeysetPagination, OptionalLimitOffsetPagination
from images.api.serializers import (
    Answers,
    ExpiringLinkSerializer,
    ImageSerializer,
    ImageUploadSerializer,
    LinkQuerySerializer,
    ThumbnailSerializer,
)
from images.api.streaming import whole_list
from images.models import Image, Thumbnail
from images.processing.formats import accepted_formats
from uploads.api.idempotency import idempotent
from uploads.idempotency import KEY_PATTERN

NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such object of yours.")
# limit and offset, with their bounds, are described by the pagination class itself.
BAD_PAGE = OpenApiResponse(
    FIELD_ERRORS,
    description="`limit` or `offset` is not a whole number in range.",
    examples=[
        OpenApiExample(
            "limit=0",
            value={
                "limit": [
                    f"limit must be a positive whole number (at most {MAX_OFFSET:,}); got '0'."
                ]
            },
        )
    ],
)
KEYSET_PAGES = (
    "Without `limit`, the whole list as a plain array (streamed past 2,000 items). With "
    "`limit` (and `offset`), a page. For large accounts, keyset pages: `?cursor=` (empty) "
    "and `limit` give `{next, previous, results}`; follow `next` until it is null (a "
    "cursor that is not a `next`/`previous` link's answers 400)."
)
UPLOAD_ENCODING = {
    "image": {
        "contentType": ", ".join(processing.MIME_TYPES[name] for name in processing.SOURCE_FORMATS)
    }
}
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
                "same_size_as": None,
            },
            {
                "height": 400,
                "url": "https://images.example.com/media/P1Ny6ulHkq8i0Mbf5dJtQgAAAAGQb3Qe…",
                "width": 533,
                "actual_height": 400,
                "same_size_as": None,
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
    ordering: tuple[str, ...] = ()  # the list's order, ending in a unique column

    @cached_property
    def paginator(self):
        """Keyset pages with ``cursor``; else offset pages with ``limit``, or none."""
        if KeysetPagination.cursor_query_param in self.request.query_params:
            return KeysetPagination(self.ordering)
        return self.pagination_class()

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

    def _list(self) -> HttpResponseBase:
        rows = self.get_rows()
        page = self.paginate_queryset(rows)
        answers = self.answers()
        if page is not None:
            return self.get_paginated_response([self.answer(answers, row) for row in page])
        if self.request.accepted_renderer.format != "json":  # the browsable API's page
            return Response([self.answer(answers, row) for row in rows])
        return whole_list(rows, self.ordering, lambda row: self.answer(answers, row))

    def _retrieve(self) -> Response:
        row = self.get_rows().filter(pk=self.kwargs["pk"]).first()
        if row is None:
            raise NotFound("Not found.")
        return Response(self.answer(self.answers(), row))


@extend_schema_view(
    list=extend_schema(
        summary="List your images",
        description=KEYSET_PAGES,
        responses={200: ImageSerializer(many=True), 400: BAD_PAGE},
    ),
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
    ordering = selectors.IMAGE_ORDER

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
            f"Multipart form with an `image` field holding a {accepted_formats()} image "
            "(judged from its bytes). The response lists the thumbnail links of your tier "
            "and, if your tier has it, the original link. Send an `Idempotency-Key` header "
            "to make retries safe: a retry with the same key gets the first answer (kept "
            "24 h) and never makes a second image. Large files from browsers: see "
            "`POST /api/user/uploads/` (straight to storage)."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                pattern=KEY_PATTERN,
                description=(
                    "Any unique string (a UUID): a retry with the same key gets the first "
                    "answer. The same key with another file: 422."
                ),
            )
        ],
        request={
            "multipart/form-data": OpenApiRequest(ImageUploadSerializer, encoding=UPLOAD_ENCODING)
        },
        responses={
            201: ImageSerializer,
            400: OpenApiResponse(
                FIELD_ERRORS,
                description=(
                    f"Not {accepted_formats('or')}, corrupt, empty, or over a size limit: the "
                    "reason, under the field it concerns."
                ),
                examples=[
                    OpenApiExample(
                        "Unsupported",
                        value={
                            "image": [
                                f"This file is a BMP image; only {accepted_formats()} images "
                                "are accepted (the content is checked, not the file name). "
                                "Convert it to one of those and upload it again."
                            ]
                        },
                    ),
                    OpenApiExample("No file", value={"image": ["No file was submitted."]}),
                ],
            ),
            415: OpenApiResponse(
                DetailSerializer,
                description="The body is not multipart/form-data (or a form).",
                examples=[
                    OpenApiExample(
                        "JSON body",
                        value={"detail": 'Unsupported media type "application/json" in request.'},
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
        uploaded = services.upload_and_count(request.user, form.validated_data["image"])
        image, rate = uploaded.image, uploaded.rate
        row = {column: getattr(image, column) for column in selectors.IMAGE_COLUMNS}
        # The rate the upload counted against, as on a 429: a client can slow down first.
        headers = (
            rate_limit_headers(rate.limit, rate.remaining, rate.reset, rate.window) if rate else {}
        )
        return Response(self.answers().image(row), status=status.HTTP_201_CREATED, headers=headers)

    def perform_destroy(self, instance: Image) -> None:
        services.delete_image(instance)


@extend_schema_view(
    list=extend_schema(
        summary="List your thumbnails",
        description=KEYSET_PAGES,
        responses={200: ThumbnailSerializer(many=True), 400: BAD_PAGE},
    ),
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
    ordering = selectors.THUMBNAIL_ORDER
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
                    "expires_at": "2026-11-27T10:05:00Z",
                },
            )
        ],
    )
    def get(self, request: Request, id: int) -> Response:
        query = LinkQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        seconds = query.validated_data["time"]
        now = int(time.time())  # the link counts from this whole second
        path = services.expiring_link(request.user, id, seconds, now)
        expires_at = datetime.fromtimestamp(now + seconds, tz=UTC)
        return Response(
            {
                "url": request.build_absolute_uri(path),
                "expires_in": seconds,
                "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
            }
        )
