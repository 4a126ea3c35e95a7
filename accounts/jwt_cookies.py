"""Setting and clearing the JWT cookies on responses."""

from django.conf import settings
from django.http import HttpResponse
from rest_framework_simplejwt.settings import api_settings as jwt_settings


def _cookie_options() -> dict:
    return {
        "httponly": True,
        "secure": settings.JWT_COOKIES["SECURE"],
        "samesite": settings.JWT_COOKIES["SAMESITE"],
    }


def set_access_cookie(response: HttpResponse, access: str) -> None:
    response.set_cookie(
        settings.JWT_COOKIES["ACCESS"],
        access,
        max_age=int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path="/",
        **_cookie_options(),
    )


def set_refresh_cookie(response: HttpResponse, refresh: str) -> None:
    # The refresh token is only ever needed by the refresh and logout endpoints.
    response.set_cookie(
        settings.JWT_COOKIES["REFRESH"],
        refresh,
        max_age=int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=settings.JWT_COOKIES["REFRESH_PATH"],
        **_cookie_options(),
    )


def clear_jwt_cookies(response: HttpResponse) -> None:
    samesite = settings.JWT_COOKIES["SAMESITE"]
    response.delete_cookie(settings.JWT_COOKIES["ACCESS"], path="/", samesite=samesite)
    response.delete_cookie(
        settings.JWT_COOKIES["REFRESH"],
        path=settings.JWT_COOKIES["REFRESH_PATH"],
        samesite=samesite,
    )
