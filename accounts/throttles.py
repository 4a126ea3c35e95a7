"""Throttles for endpoints that check passwords: per client address and per username."""

import hashlib
import logging
from collections.abc import Mapping

from rest_framework.throttling import SimpleRateThrottle

from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)


class _FailOpenThrottle(SimpleRateThrottle):
    """A throttle that lets requests through while the cache server is unreachable.

    Counting attempts needs the cache; refusing every sign-in during a cache outage
    would turn it into a full outage.
    """

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS:
            logger.warning("throttle cache unavailable; not counting this attempt", exc_info=True)
            return True


class LoginClientThrottle(_FailOpenThrottle):
    """Limit password attempts from one client address, whatever usernames it tries."""

    scope = "login"
    cache_format = "throttle_%(scope)s_client_%(ident)s"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(_FailOpenThrottle):
    """Limit password attempts against one username, from however many clients."""

    scope = "login"
    cache_format = "throttle_%(scope)s_username_%(ident)s"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data
        username = data.get("username", "") if isinstance(data, Mapping) else ""
        username = str(username).strip().lower()[:150]
        if not username:
            return None
        digest = hashlib.sha256(username.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


LOGIN_THROTTLES = (LoginClientThrottle, LoginUsernameThrottle)
