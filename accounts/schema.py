"""OpenAPI description of the cookie-JWT scheme."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class JWTCookieScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTCookieAuthentication"
    name = "jwtCookie"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.JWT_COOKIES["ACCESS"],
            "description": (
                "Access token set as an HttpOnly cookie by POST /api/user/jwt-login/. "
                "Unsafe methods also need the X-CSRFToken header (value of the csrftoken cookie)."
            ),
        }
