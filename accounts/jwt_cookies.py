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
    # Expired copies with the same attributes as the originals: clients may refuse to
    # let a cookie without HttpOnly or Secure replace one that had them.
    expired = {"max_age": 0, "expires": "Thu, 01 Jan 1970 00:00:00 GMT", **_cookie_options()}
    response.set_cookie(settings.JWT_COOKIES["ACCESS"], "", path="/", **expired)
    response.set_cookie(
        settings.JWT_COOKIES["REFRESH"], "", path=settings.JWT_COOKIES["REFRESH_PATH"], **expired
    )
