"""Account endpoints: sign-in with JWT cookies and DRF tokens, and the account summary."""

import contextlib

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest
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
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.jwt_cookies import clear_jwt_cookies, set_access_cookie, set_refresh_cookie
from accounts.serializers import (
    CredentialsSerializer,
    DetailSerializer,
    LoginFailedSerializer,
    MeSerializer,
    SuccessSerializer,
    TokenSerializer,
)
from accounts.services import end_login, extend_login, is_login_active, start_login
from accounts.throttles import RefreshThrottle
from accounts.tiers.quotas import account_summary

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials", value={"username": "alice", "password": "correct horse battery"}
)
THROTTLED = OpenApiResponse(DetailSerializer, description="Too many attempts; retry later.")
CROSS_SITE = OpenApiResponse(DetailSerializer, description="Cross-site request refused (CSRF).")


def _origin_allowed(request: HttpRequest) -> bool:
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
    if not _origin_allowed(request._request):
        raise exceptions.PermissionDenied("CSRF Failed: Origin checking failed.")
    if not (request.content_type or "").startswith("application/json"):
        SessionAuthentication().enforce_csrf(request)


class _CredentialsView(APIView):
    """Checks a username and password; no prior authentication.

    Failed attempts are counted by the one brute-force policy (``accounts.lockout``).
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def authenticated_user(self, request: Request):
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # What Django's login() announces: updates last_login, clears the pair's failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
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
    def post(self, request: Request) -> Response:
        refuse_cross_site_sign_in(request)
        try:
            user = self.authenticated_user(request)
        except exceptions.AuthenticationFailed as exc:
            return Response(
                {"success": False, "detail": exc.detail}, status=status.HTTP_401_UNAUTHORIZED
            )
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
    def post(self, request: Request) -> Response:
        raw = request.COOKIES.get(settings.JWT_COOKIES["REFRESH"])
        if not raw:
            return Response(
                {"detail": "No refresh token cookie; sign in with jwt-login."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        SessionAuthentication().enforce_csrf(request)
        serializer = TokenRefreshSerializer(data={"refresh": raw})
        try:
            if not is_login_active(RefreshToken(raw)):
                raise TokenError("signed out")
            serializer.is_valid(raise_exception=True)
        except (TokenError, exceptions.ValidationError, exceptions.AuthenticationFailed):
            response = Response(
                {"detail": "The refresh token is invalid or expired; sign in again."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
            clear_jwt_cookies(response)
            return response
        response = Response({"success": True})
        set_access_cookie(response, serializer.validated_data["access"])
        if "refresh" in serializer.validated_data:
            rotated = serializer.validated_data["refresh"]
            extend_login(RefreshToken(rotated, verify=False))
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
        raw = request.COOKIES.get(settings.JWT_COOKIES["REFRESH"])
        if raw or request.COOKIES.get(settings.JWT_COOKIES["ACCESS"]):
            # Cookie-carried credentials: refuse cross-site requests as session auth does.
            SessionAuthentication().enforce_csrf(request)
        if raw:
            # An expired or already revoked token leaves nothing to revoke.
            with contextlib.suppress(TokenError):
                refresh = RefreshToken(raw)
                end_login(refresh)
                refresh.blacklist()
        access = request.COOKIES.get(settings.JWT_COOKIES["ACCESS"])
        if access:
            with contextlib.suppress(TokenError):
                end_login(AccessToken(access))
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
        try:
            user = self.authenticated_user(request)
        except exceptions.AuthenticationFailed as exc:
            return Response({"detail": exc.detail}, status=status.HTTP_401_UNAUTHORIZED)
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
