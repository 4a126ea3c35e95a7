"""The client's address, one rule for the brute-force policy, metrics access and logs."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# Stands for a client whose address cannot be known (no REMOTE_ADDR, e.g. a test client
# or a Unix socket); such clients share one lockout counter.
UNKNOWN = "0.0.0.0"  # noqa: S104  (a placeholder value, nothing binds to it)


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies in front, the address the
    outermost of them saw (X-Forwarded-For, counted from the right).

    Entries left of that one are whatever the client chose to send, so they never count;
    a value that is not an IP address counts as REMOTE_ADDR.
    """
    remote = _valid(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return _valid(hops[-min(proxies, len(hops))]) or remote
