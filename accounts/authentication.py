"""JWT read from an HttpOnly cookie, with the CSRF check session auth applies."""

from django.conf import settings
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication


class JWTCookieAuthentication(JWTAuthentication):
    """Authenticate with the access-token cookie set by ``jwt-login``.

    Browsers send cookies on their own, so unsafe methods must carry a CSRF token,
    checked exactly as ``SessionAuthentication`` checks it.
    """

    enforce_csrf = SessionAuthentication.enforce_csrf

    def authenticate(self, request: Request):
        raw_token = request.COOKIES.get(settings.JWT_COOKIES["ACCESS"])
        if not raw_token:
            return None
        validated = self.get_validated_token(raw_token.encode())
        user = self.get_user(validated)
        self.enforce_csrf(request)
        return user, validated

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
