"""Sending a delivery to a receiver without being turned against our own network (SSRF).

A receiver's URL is checked when it is saved and again at every attempt: HTTPS (plain
HTTP only where ``WEBHOOK_ALLOW_HTTP``), no credentials in it, and every address its
name resolves to public. The name is resolved once per attempt, and the connection goes
to an address that was checked (the TLS name and the Host header are the URL's), so a
DNS answer that changes between the check and the connection (rebinding) gains nothing.
An attempt connects within ``WEBHOOK_CONNECT_TIMEOUT`` and ends by
``WEBHOOK_TOTAL_TIMEOUT`` whatever the receiver does (a watchdog shuts the socket down),
follows no redirect, and reads at most ``WEBHOOK_MAX_RESPONSE_BYTES`` of the answer.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import dns.exception
import dns.nameserver
import dns.resolver

from webhooks import conf

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
USER_AGENT = "imageapi-webhooks/1"
# Cloud instance metadata: refused even inside an allowed network.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
# IPv6 prefixes that carry an IPv4 address a gateway would reach: NAT64 and 6to4.
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


class UnsafeTarget(Exception):
    """The URL may not be sent to; the message says why, for the person who gave it."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # a name, or an address without brackets
    port: int
    path: str  # with the query


@dataclass(frozen=True)
class Outcome:
    status: int | None
    body: bytes = b""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def parse(url: str) -> Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"Not a valid URL: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and conf.allow_http()):
        raise UnsafeTarget("Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("Webhook URLs may not contain credentials.")
    if not parts.hostname:
        raise UnsafeTarget("The URL has no host.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, parts.hostname, port or (443 if scheme == "https" else 80), path)


# Checked in this order; the first that holds names the refusal.
_KINDS = (
    ("a loopback address", lambda a: a.is_loopback),
    ("a link-local address", lambda a: a.is_link_local),
    ("a multicast address", lambda a: a.is_multicast),
    ("a private or reserved address", lambda a: not a.is_global or a.is_reserved),
)


def refusal(address: IPAddress) -> str | None:
    """Why the address may not be sent to, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or _nat64_or_6to4(address)
        if embedded is not None:
            return refusal(embedded)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(address in network for network in conf.allowed_networks()):
        return None
    return next((kind for kind, applies in _KINDS if applies(address)), None)


def _nat64_or_6to4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def resolve(host: str, timeout: float) -> list[IPAddress]:
    """Every address of ``host`` (A and AAAA), from ``WEBHOOK_DNS_SERVERS`` or the system's
    DNS servers, within ``timeout``. A literal address is itself."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    servers = conf.dns_servers()
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(a, port) for a, port in servers]
    resolver.lifetime = timeout
    addresses: list[IPAddress] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(host, rdtype)
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except dns.exception.DNSException as exc:
            raise UnsafeTarget(f"{host} could not be resolved: {exc}") from exc
        addresses.extend(ipaddress.ip_address(record.address) for record in answer)
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve to any address.")
    return addresses


def checked_addresses(target: Target, timeout: float) -> list[IPAddress]:
    """The target's addresses, every one of them allowed, or :class:`UnsafeTarget`."""
    addresses = resolve(target.host, timeout)
    for address in addresses:
        if reason := refusal(address):
            shown = target.host if target.host == str(address) else f"{target.host} ({address})"
            raise UnsafeTarget(f"Webhooks cannot be sent to {shown}: it is {reason}.")
    return addresses


def validate_url(url: str) -> None:
    """What is checked when a URL is saved (and again before every attempt)."""
    checked_addresses(parse(url), conf.connect_timeout())


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to one checked address; Host header and TLS name are the URL's host."""

    def __init__(self, target: Target, address: IPAddress, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.target, self.address = target, address
        self.tls = ssl.create_default_context(cafile=conf.ca_bundle())
        self.current: socket.socket | None = None  # what the watchdog shuts down
        self.was_cut = False

    def connect(self) -> None:
        raw = socket.create_connection((str(self.address), self.target.port), self.timeout)
        self.current = raw
        if self.target.scheme == "https":
            wrapped = self.tls.wrap_socket(
                raw, server_hostname=self.target.host, do_handshake_on_connect=False
            )
            self.current = wrapped
            wrapped.do_handshake()
            self.sock = wrapped
        else:
            self.sock = raw

    def cut(self) -> None:
        """Shut the socket down from another thread: whatever read is blocked returns."""
        self.was_cut = True
        if self.current is not None:
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(self.current, socket.SHUT_RDWR)


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """One attempt: POST ``body`` to ``url``; an :class:`Outcome`, never an exception."""
    deadline = time.monotonic() + conf.total_timeout()
    try:
        target = parse(url)
        addresses = checked_addresses(target, min(conf.connect_timeout(), conf.total_timeout()))
    except UnsafeTarget as exc:
        return Outcome(None, error=str(exc))
    outcome = Outcome(None, error="no address to connect to")
    for address in addresses:  # the next one only when connecting failed
        if time.monotonic() >= deadline:
            break
        outcome = _post_to(target, address, body, headers, deadline)
        if outcome.status is not None or not outcome.error.startswith("connect"):
            break
    return outcome


def _post_to(
    target: Target, address: IPAddress, body: bytes, headers: dict[str, str], deadline: float
) -> Outcome:
    timeout = max(0.001, min(conf.connect_timeout(), deadline - time.monotonic()))
    conn = _PinnedConnection(target, address, timeout)
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), conn.cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:
            return Outcome(None, error=_timed_out(deadline) or f"connecting to {address}: {exc}")
        assert conn.sock is not None
        conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
        sent = {
            **headers,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }
        conn.request("POST", target.path, body=body, headers=sent)
        response = conn.getresponse()
        if conn.was_cut:  # what ended the headers was the deadline, not the receiver
            return Outcome(None, error=_timed_out(deadline))
        # An answer in time counts, even if the deadline cuts its body short.
        data = response.read(conf.max_response_bytes())
        return Outcome(response.status, data, _judge(response))
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, error=_timed_out(deadline) or f"{type(exc).__name__}: {exc}")
    finally:
        watchdog.cancel()
        conn.close()


def _timed_out(deadline: float) -> str:
    if time.monotonic() >= deadline - 0.001:
        return f"no complete answer within {conf.total_timeout():g} s"
    return ""


def _judge(response: http.client.HTTPResponse) -> str:
    if 200 <= response.status < 300:
        return ""
    if 300 <= response.status < 400:
        where = response.getheader("Location", "")
        return f"answered {response.status}: redirects are not followed ({where[:200]})"
    return f"answered {response.status}"
