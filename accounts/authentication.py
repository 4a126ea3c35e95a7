"""Authentication classes: DRF tokens checked for shape, JWT read from an HttpOnly cookie."""

import re

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, get_authorization_header
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts.jwt_cookies import access_cookie
from accounts.services import is_login_active

TOKEN_SHAPE = re.compile(r"[0-9a-f]{40}")


class TokenAuthentication(DRFTokenAuthentication):
    """DRF's token authentication in one query, refusing keys that cannot be tokens first.

    The token, its user and the user's tier come in one query: every API answer needs
    the tier. The token row is read on every request, so a deleted token stops working
    at once. Some databases refuse odd characters (PostgreSQL: NUL) outright, which
    would turn a malformed header into a server error, hence the shape check.
    """

    def authenticate(self, request: Request):
        """Also refuse, naming what is accepted, an ``Authorization`` header of another
        scheme (``Bearer …`` from a JWT habit): silently ignoring it would answer "no
        credentials were provided" to a client that sent some."""
        scheme = get_authorization_header(request).split(b" ", 1)[0]
        if scheme and scheme.lower() != self.keyword.lower().encode():
            shown = scheme.decode("latin-1")[:32]
            raise exceptions.AuthenticationFailed(
                f"The authorization scheme {shown!r} is not accepted. Send "
                "'Authorization: Token <key>' with the key from POST /api/user/token/, or "
                "sign in with POST /api/user/jwt-login/ (HttpOnly cookies) or a session."
            )
        return super().authenticate(request)

    def authenticate_credentials(self, key: str):
        if not TOKEN_SHAPE.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = self.get_model().objects.select_related("user__tier").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token


class JWTCookieAuthentication(JWTAuthentication):
    """Authenticate with the access-token cookie set by ``jwt-login``.

    Browsers send cookies on their own, so unsafe methods must carry a CSRF token,
    checked exactly as ``SessionAuthentication`` checks it.
    """

    enforce_csrf = SessionAuthentication.enforce_csrf

    def authenticate(self, request: Request):
        raw_token = access_cookie(request)
        if not raw_token:
            return None
        validated = self.get_validated_token(raw_token.encode())
        if not is_login_active(validated):
            raise exceptions.AuthenticationFailed("This session was signed out; sign in again.")
        user = self.get_user(validated)
        self.enforce_csrf(request)
        return user, validated

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
