"""The client's address, one rule for the brute-force policy, metrics access and logs."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with NUM_PROXIES trusted proxies in front, the address the
    outermost of them saw (X-Forwarded-For, counted from the right).

    Entries left of that one are whatever the client chose to send, so they never count.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))][:45]
