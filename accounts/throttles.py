"""The refresh endpoint's rate limit (password forms are covered by ``accounts.lockout``)."""

import logging

from rest_framework.throttling import AnonRateThrottle

from imageapi.client_address import client_ip
from imageapi.outages import CACHE_ERRORS

logger = logging.getLogger(__name__)


class RefreshThrottle(AnonRateThrottle):
    """Refreshes per client address: each one writes a blacklist row.

    Lets requests through while the cache server is unreachable: refusing every refresh
    during a cache outage would sign everyone out.
    """

    scope = "jwt-refresh"

    def get_ident(self, request) -> str:
        # The same client address as the brute-force policy, metrics and logs use.
        return client_ip(request)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS:
            logger.warning("throttle cache unavailable; not counting this refresh", exc_info=True)
            return True
