"""``/api/`` and ``/api/user/``: where a newcomer (or a DRF habit) looks first.

A 404 there says nothing; this answers with the way in: the documentation, the OpenAPI
document and the endpoints, as absolute links. Open to everyone (no credentials read,
so a wrong ``Authorization`` header cannot hide it) and left out of the schema.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

DOCUMENTS = {"docs": "docs", "redoc": "redoc", "schema": "schema"}
ENDPOINTS = {
    "token": "token",
    "jwt-login": "jwt-login",
    "jwt-refresh": "jwt-refresh",
    "jwt-logout": "jwt-logout",
    "me": "me",
    "images": "image-list",
    "thumbnails": "thumbnail-list",
}


class APIRootView(APIView):
    """The Image API. Start with the documentation; every endpoint is listed below."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        def link(name: str) -> str:
            return reverse(name, request=request)

        return Response(
            {
                **{key: link(name) for key, name in DOCUMENTS.items()},
                "endpoints": {
                    **{key: link(name) for key, name in ENDPOINTS.items()},
                    "expiring-link": link("api-user-root") + "link/{id}/?time={seconds}",
                },
            }
        )
