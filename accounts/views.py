"""Account endpoints: sign-in with JWT cookies and DRF tokens, and the account summary."""

import contextlib

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.jwt_cookies import (
    access_cookie,
    clear_jwt_cookies,
    refresh_cookie,
    set_access_cookie,
    set_refresh_cookie,
)
from accounts.serializers import (
    CredentialsSerializer,
    DetailSerializer,
    LoginFailedSerializer,
    MeSerializer,
    SuccessSerializer,
    TokenSerializer,
)
from accounts.services import end_login, refresh_login, start_login
from accounts.throttles import RefreshThrottle
from accounts.tiers.summary import account_summary
from imageapi.error_responses import json_error
from imageapi.errors import NotSignedIn

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials", value={"username": "alice", "password": "correct horse battery"}
)
THROTTLED = OpenApiResponse(DetailSerializer, description="Too many attempts; retry later.")
CROSS_SITE = OpenApiResponse(DetailSerializer, description="Cross-site request refused (CSRF).")


def _origin_allowed(request: HttpRequest | Request) -> bool:
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None:
        return True  # not a browser, or one too old to say: the CSRF token decides
    scheme = "https" if request.is_secure() else "http"
    # This site, the origins trusted for forms, and the front ends allowed to call the
    # API with credentials (CORS_ALLOWED_ORIGINS).
    allowed = {
        f"{scheme}://{request.get_host()}",
        *settings.CSRF_TRUSTED_ORIGINS,
        *settings.CORS_ALLOWED_ORIGINS,
    }
    return origin in allowed


def refuse_cross_site_sign_in(request: Request) -> None:
    """Login CSRF: a foreign page must not sign a browser in to the attacker's account.

    A browser's cross-site POST says where it comes from (Origin); it must be this site.
    A JSON body cannot come cross-site without a CORS preflight, which is never granted;
    any other body (a plain HTML form) must also carry the CSRF token, as every cookie
    POST does. Scripts that post JSON without an Origin header are unaffected.
    """
    if not _origin_allowed(request):
        raise exceptions.PermissionDenied("CSRF Failed: Origin checking failed.")
    if not (request.content_type or "").startswith("application/json"):
        SessionAuthentication().enforce_csrf(request)


class _CredentialsView(APIView):
    """Checks a username and password; no prior authentication.

    Failed attempts are counted by the one brute-force policy (``accounts.lockout``).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def initialize_request(self, request: HttpRequest, *args, **kwargs) -> Request:
        # The brute-force policy marks the Django request (its middleware answers from
        # it), so that one, not DRF's wrapper, goes to authenticate() and the signal.
        self.http_request = request
        return super().initialize_request(request, *args, **kwargs)

    def authenticated_user(self, request: Request):
        """The user the credentials name; :class:`NotSignedIn` when they do not match."""
        serializer = CredentialsSerializer(
            data=request.data, context={"http_request": self.http_request}
        )
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.AuthenticationFailed as exc:
            raise NotSignedIn(str(exc.detail), code="login_failed") from None
        user = serializer.validated_data["user"]
        # What Django's login() announces: updates last_login, clears the pair's failures.
        user_logged_in.send(sender=type(user), request=self.http_request, user=user)
        return user


class JWTLoginView(_CredentialsView):
    @extend_schema(
        tags=["auth"],
        summary="Sign in with JWT cookies",
        description=(
            "Sets HttpOnly `access_token` and `refresh_token` cookies and a `csrftoken` "
            "cookie. Send its value in the `X-CSRFToken` header on POST and DELETE requests "
            "authenticated by the cookies."
        ),
        request=CredentialsSerializer,
        responses={
            200: SuccessSerializer,
            400: OpenApiResponse(description="Username or password missing."),
            401: LoginFailedSerializer,
            403: CROSS_SITE,
            429: THROTTLED,
        },
        examples=[
            CREDENTIALS_EXAMPLE,
            OpenApiExample("Signed in", value={"success": True}, response_only=True),
        ],
    )
    def post(self, request: Request) -> HttpResponse:
        refuse_cross_site_sign_in(request)
        try:
            user = self.authenticated_user(request)
        except NotSignedIn as exc:
            return json_error(exc, success=False)  # the seed's {"success": bool} shape
        refresh = start_login(user)
        response = Response({"success": True})
        set_access_cookie(response, str(refresh.access_token))
        set_refresh_cookie(response, str(refresh))
        get_token(request)  # makes the CSRF middleware set the csrftoken cookie
        return response


class JWTRefreshView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (RefreshThrottle,)

    @extend_schema(
        tags=["auth"],
        summary="Renew the access cookie",
        description=(
            "Uses the `refresh_token` cookie; rotates both cookies. Needs the `X-CSRFToken` "
            "header like every other cookie POST."
        ),
        request=None,
        responses={
            200: SuccessSerializer,
            401: DetailSerializer,
            403: CROSS_SITE,
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        raw = refresh_cookie(request)
        if not raw:
            raise NotSignedIn("No refresh token cookie; sign in with jwt-login.")
        SessionAuthentication().enforce_csrf(request)
        try:
            access, rotated = refresh_login(raw)
        except NotSignedIn as exc:
            refused = json_error(exc)
            clear_jwt_cookies(refused)  # they would only be sent again
            return refused
        response = Response({"success": True})
        set_access_cookie(response, access)
        if rotated is not None:
            set_refresh_cookie(response, rotated)
        return response


class JWTLogoutView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["auth"],
        summary="Sign out",
        description=(
            "Ends the whole sign-in: every access token it issued (a copied cookie stops "
            "working too), the refresh token chain, and the JWT cookies."
        ),
        request=None,
        responses={204: None, 403: DetailSerializer},
    )
    def post(self, request: Request) -> Response:
        raw = refresh_cookie(request)
        if raw or access_cookie(request):
            # Cookie-carried credentials: refuse cross-site requests as session auth does.
            SessionAuthentication().enforce_csrf(request)
        if raw:
            # An expired or already revoked token leaves nothing to revoke.
            with contextlib.suppress(TokenError):
                refresh = RefreshToken(raw)  # type: ignore[arg-type]
                end_login(refresh)
                refresh.blacklist()
        access = access_cookie(request)
        if access:
            with contextlib.suppress(TokenError):
                end_login(AccessToken(access))  # type: ignore[arg-type]
        response = Response(status=status.HTTP_204_NO_CONTENT)
        clear_jwt_cookies(response)
        return response


class TokenView(_CredentialsView):
    @extend_schema(
        tags=["auth"],
        summary="Get an API token",
        description="Send it as `Authorization: Token <token>`.",
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Username or password missing."),
            401: DetailSerializer,
            429: THROTTLED,
        },
        examples=[
            CREDENTIALS_EXAMPLE,
            OpenApiExample(
                "Token",
                value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        user = self.authenticated_user(request)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MeView(APIView):
    @extend_schema(
        tags=["auth"],
        summary="Your account: tier, what it includes, limits and usage",
        responses={200: MeSerializer, 401: DetailSerializer},
        examples=[
            OpenApiExample(
                "Basic user",
                response_only=True,
                value={
                    "username": "alice",
                    "tier": "Basic",
                    "includes": {
                        "thumbnail_heights": [200],
                        "original_link": False,
                        "expiring_links": None,
                    },
                    "limits": {
                        "images": {"limit": 1000, "used": 12},
                        "bytes": {"limit": 2147483648, "used": 30408704},
                        "uploads_per_hour": {
                            "limit": 100,
                            "used": 3,
                            "window_seconds": 3600,
                            "frees_in": 2712,
                        },
                        "max_megapixels": 25.0,
                    },
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(account_summary(request.user)).data)
