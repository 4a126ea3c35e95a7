"""OpenAPI descriptions of the three ways to sign in, written for the person reading them.

Swagger UI can only send the token itself; the two cookies are sent by the browser once
signed in, so the docs page hides them from its Authorize dialog (see
``imageapi/templates/docs/swagger_ui.js``) and they are described here instead.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.jwt_cookies import access_cookie_name


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Type `Token <key>`: the word Token, a space, then the key that "
                "POST /api/user/token/ returns, e.g. "
                "`Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b`."
            ),
        }


class JWTCookieScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.JWTCookieAuthentication"
    name = "jwtCookie"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": access_cookie_name(),
            "description": (
                "Nothing to type: call POST /api/user/jwt-login/ and the browser keeps the "
                "HttpOnly access cookie and sends it. POST and DELETE requests also need the "
                "X-CSRFToken header (the csrftoken cookie's value); these docs add it."
            ),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The browsable API's and the admin's session: sign in at /api-auth/login/ "
                "and the browser sends the cookie. POST and DELETE also need X-CSRFToken."
            ),
        }
