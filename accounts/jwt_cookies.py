"""The JWT cookies: their names, reading them from requests, setting and clearing them."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework_simplejwt.settings import api_settings as jwt_settings


def access_cookie(request: HttpRequest) -> str | None:
    """The access token the request's cookie carries, if any."""
    return request.COOKIES.get(settings.JWT_COOKIES["ACCESS"]) or None


def refresh_cookie(request: HttpRequest) -> str | None:
    """The refresh token the request's cookie carries, if any."""
    return request.COOKIES.get(settings.JWT_COOKIES["REFRESH"]) or None


def access_cookie_name() -> str:
    return settings.JWT_COOKIES["ACCESS"]


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
