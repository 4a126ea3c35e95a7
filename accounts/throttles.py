"""Throttles for endpoints that check passwords: per client address and per username."""

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class LoginClientThrottle(SimpleRateThrottle):
    """Limit password attempts from one client address, whatever usernames it tries."""

    scope = "login"
    cache_format = "throttle_%(scope)s_client_%(ident)s"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(SimpleRateThrottle):
    """Limit password attempts against one username, from however many clients."""

    scope = "login"
    cache_format = "throttle_%(scope)s_username_%(ident)s"

    def get_cache_key(self, request, view) -> str | None:
        username = str(request.data.get("username", "")).strip().lower()[:150]
        if not username:
            return None
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


LOGIN_THROTTLES = (LoginClientThrottle, LoginUsernameThrottle)
