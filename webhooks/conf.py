"""The webhook settings, each read here and nowhere else (see imageapi/settings/webhooks.py)."""

import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def public_base_url() -> str:
    """Scheme and host that links in payloads start with, without a trailing slash."""
    return settings.PUBLIC_BASE_URL.rstrip("/")


def allow_http() -> bool:
    return settings.WEBHOOK_ALLOW_HTTP


def allowed_networks() -> list[Network]:
    return [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


def dns_servers() -> list[tuple[str, int]]:
    """``(address, port)`` of the DNS servers to ask; empty for the system's resolver."""
    servers = []
    for entry in settings.WEBHOOK_DNS_SERVERS:
        host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
        servers.append((host, int(port)))
    return servers


def ca_bundle() -> str | None:
    return settings.WEBHOOK_CA_BUNDLE or None


def connect_timeout() -> float:
    return settings.WEBHOOK_CONNECT_TIMEOUT


def total_timeout() -> float:
    return settings.WEBHOOK_TOTAL_TIMEOUT


def max_response_bytes() -> int:
    return settings.WEBHOOK_MAX_RESPONSE_BYTES


def retry_schedule() -> list[int]:
    return list(settings.WEBHOOK_RETRY_SCHEDULE)


def disable_after_seconds() -> int:
    return settings.WEBHOOK_DISABLE_AFTER_SECONDS


def secret_overlap_seconds() -> int:
    return settings.WEBHOOK_SECRET_OVERLAP_SECONDS


def lease_seconds() -> int:
    return settings.WEBHOOK_LEASE_SECONDS


def log_retention_days() -> int:
    return settings.WEBHOOK_LOG_RETENTION_DAYS
