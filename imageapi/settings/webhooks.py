"""Webhooks: where links in events point, which receivers may be reached, how hard to try.

Read by :mod:`webhooks.conf` only.
"""

from urllib.parse import urlsplit

from imageapi.settings.core import ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS
from imageapi.settings.environment import env


def _default_public_base_url() -> str:
    """The service's own origin: the first trusted origin, else the first allowed host
    (HTTPS, or `make run`'s address for a loopback name)."""
    if CSRF_TRUSTED_ORIGINS:
        return CSRF_TRUSTED_ORIGINS[0]
    host = (ALLOWED_HOSTS or ["127.0.0.1"])[0].lstrip(".")
    if host in {"127.0.0.1", "localhost", "[::1]", "*"}:
        return "http://127.0.0.1:8000"
    return f"https://{host}"


# Links inside webhook payloads (there is no request to take the host from).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="") or _default_public_base_url()
if urlsplit(PUBLIC_BASE_URL).scheme not in {"http", "https"}:
    raise ValueError(f"PUBLIC_BASE_URL must be an http(s) URL, not {PUBLIC_BASE_URL!r}")

# Receivers must be HTTPS; plain HTTP only where the operator allows it.
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
# Networks (CIDR) receivers may be in although they are not public, e.g. 10.1.2.0/24 for
# an internal CMS. Cloud metadata addresses stay refused whatever is listed here.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
# DNS servers (host or host:port) to resolve receivers' names with; empty: the system's.
WEBHOOK_DNS_SERVERS = env.list("WEBHOOK_DNS_SERVERS", default=[])
# CA bundle to verify receivers' certificates with; empty: the system's.
WEBHOOK_CA_BUNDLE = env.str("WEBHOOK_CA_BUNDLE", default="")
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
# The whole attempt (connect, send, response headers and body) ends by this.
WEBHOOK_TOTAL_TIMEOUT = env.float("WEBHOOK_TOTAL_TIMEOUT", default=10.0)
# Of a receiver's answer, at most this much is read (and 1 KiB of it kept in the log).
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=4096)
# Seconds before each retry (each varied by +-10%); after the last, the delivery has
# failed. The default spreads eight attempts over about 27 hours.
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE", cast=int, default=[5, 300, 1800, 7200, 18000, 36000, 36000]
)
# An endpoint whose every attempt failed for this long is disabled.
WEBHOOK_DISABLE_AFTER_SECONDS = env.int("WEBHOOK_DISABLE_AFTER_SECONDS", default=3 * 86400)
# After a rotation the previous secret still signs (second signature) for this long.
WEBHOOK_SECRET_OVERLAP_SECONDS = env.int("WEBHOOK_SECRET_OVERLAP_SECONDS", default=24 * 3600)
# A worker holds a delivery this long; one that died with it gives it back then.
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=60)
if WEBHOOK_LEASE_SECONDS <= WEBHOOK_TOTAL_TIMEOUT:
    raise ValueError("WEBHOOK_LEASE_SECONDS must be longer than WEBHOOK_TOTAL_TIMEOUT")
# Finished deliveries stay in the log this long; the sweep deletes older ones.
WEBHOOK_LOG_RETENTION_DAYS = env.int("WEBHOOK_LOG_RETENTION_DAYS", default=30)
# How often `celery beat` sends due retries (and deliveries a lost worker held).
WEBHOOK_SWEEP_SECONDS = env.int("WEBHOOK_SWEEP_SECONDS", default=30)
