"""HTTP layer for webhook endpoints: translate, delegate, answer.

Every endpoint belongs to the signed-in user: another user's ids answer 404, and an
endpoint receives only events about its owner's images, whatever a request sends.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.serializers import FIELD_ERRORS, DetailSerializer
from images.api.pagination import OptionalLimitOffsetPagination
from webhooks import selectors, services
from webhooks.api.serializers import (
    CreatedEndpointSerializer,
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    RotatedSecretSerializer,
)
from webhooks.models import Endpoint

NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such endpoint of yours.")


BAD_ENDPOINT = OpenApiResponse(
    # Field errors, or a body that is not JSON at all ({"detail": ...}).
    {"anyOf": [FIELD_ERRORS, {"$ref": "#/components/schemas/Detail"}]},
    description=(
        "Not an https URL (http only where the operator allows it), a URL whose name "
        "resolves to a loopback, private, link-local or metadata address, or unknown events."
    ),
)


@extend_schema_view(
    list=extend_schema(summary="List your webhook endpoints"),
    retrieve=extend_schema(summary="One of your webhook endpoints", responses={404: NOT_FOUND}),
    destroy=extend_schema(summary="Delete a webhook endpoint", responses={204: None}),
)
@extend_schema(tags=["webhooks"])
class EndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAuthenticated]
    serializer_class = EndpointSerializer
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.owned_endpoints(self.request.user)

    @extend_schema(
        summary="Register a webhook endpoint",
        description=(
            "The URL must be HTTPS and reach a public address. The answer carries the "
            "signing secret, once."
        ),
        request=EndpointCreateSerializer,
        responses={201: CreatedEndpointSerializer, 400: BAD_ENDPOINT},
    )
    def create(self, request: Request) -> Response:
        form = EndpointCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint, secret = services.create_endpoint(request.user, **form.validated_data)
        answer = CreatedEndpointSerializer(endpoint).data
        answer["secret"] = secret
        return Response(answer, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook endpoint (enable it again, its URL or events)",
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, 400: BAD_ENDPOINT, 404: NOT_FOUND},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        form = EndpointUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = services.update_endpoint(self.get_object(), **form.validated_data)
        return Response(EndpointSerializer(endpoint).data)

    def perform_destroy(self, instance: Endpoint) -> None:
        services.delete_endpoint(instance)

    @extend_schema(
        summary="Rotate the signing secret",
        description=(
            "A new secret, shown once. Deliveries carry signatures by both secrets until "
            "`previous_secret_valid_until`."
        ),
        request=None,
        responses={200: RotatedSecretSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        secret = services.rotate_secret(endpoint)
        return Response(
            {"secret": secret, "previous_secret_valid_until": endpoint.previous_secret_expires_at}
        )

    @extend_schema(
        summary="Send a test event",
        description="Sends a `webhook.test` event now and answers with its delivery.",
        request=None,
        responses={200: DeliverySerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        delivery = services.send_test(self.get_object())
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(
        summary="The delivery log of an endpoint, newest first",
        responses={200: DeliverySerializer(many=True), 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get"],
        pagination_class=OptionalLimitOffsetPagination,
        serializer_class=DeliverySerializer,
    )
    def deliveries(self, request: Request, pk: str) -> Response:
        rows = selectors.deliveries_of(self.get_object())
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(DeliverySerializer(rows, many=True).data)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)
