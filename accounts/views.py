"""Account endpoints: sign-in with JWT cookies and DRF tokens, and the account summary."""

import contextlib

from django.conf import settings
from django.contrib.auth.models import update_last_login
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
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.jwt_cookies import clear_jwt_cookies, set_access_cookie, set_refresh_cookie
from accounts.serializers import (
    CredentialsSerializer,
    DetailSerializer,
    LoginFailedSerializer,
    MeSerializer,
    SuccessSerializer,
    TokenSerializer,
)
from accounts.services import revoke_access_token
from accounts.throttles import LOGIN_THROTTLES
from images.quotas import account_summary

CREDENTIALS_EXAMPLE = OpenApiExample(
    "Credentials", value={"username": "alice", "password": "correct horse battery"}
)
THROTTLED = OpenApiResponse(DetailSerializer, description="Too many attempts; retry later.")


class _CredentialsView(APIView):
    """Checks a username and password; no prior authentication, throttled."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = LOGIN_THROTTLES

    def authenticated_user(self, request: Request):
        serializer = CredentialsSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["user"]


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
            429: THROTTLED,
        },
        examples=[
            CREDENTIALS_EXAMPLE,
            OpenApiExample("Signed in", value={"success": True}, response_only=True),
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            user = self.authenticated_user(request)
        except exceptions.AuthenticationFailed as exc:
            return Response(
                {"success": False, "detail": exc.detail}, status=status.HTTP_401_UNAUTHORIZED
            )
        refresh = RefreshToken.for_user(user)
        update_last_login(None, user)
        response = Response({"success": True})
        set_access_cookie(response, str(refresh.access_token))
        set_refresh_cookie(response, str(refresh))
        get_token(request)  # makes the CSRF middleware set the csrftoken cookie
        return response


class JWTRefreshView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["auth"],
        summary="Renew the access cookie",
        description="Uses the `refresh_token` cookie; rotates both cookies.",
        request=None,
        responses={200: SuccessSerializer, 401: DetailSerializer},
    )
    def post(self, request: Request) -> Response:
        raw = request.COOKIES.get(settings.JWT_COOKIES["REFRESH"])
        if not raw:
            return Response(
                {"detail": "No refresh token cookie; sign in with jwt-login."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        serializer = TokenRefreshSerializer(data={"refresh": raw})
        try:
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
            set_refresh_cookie(response, serializer.validated_data["refresh"])
        return response


class JWTLogoutView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=["auth"],
        summary="Sign out",
        description=(
            "Revokes the refresh token and the access token (a copied cookie stops "
            "working too) and deletes the JWT cookies."
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
                RefreshToken(raw).blacklist()
        access = request.COOKIES.get(settings.JWT_COOKIES["ACCESS"])
        if access:
            with contextlib.suppress(TokenError):
                token = AccessToken(access)
                revoke_access_token(
                    token[jwt_settings.JTI_CLAIM], datetime_from_epoch(token["exp"])
                )
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
