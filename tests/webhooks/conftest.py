"""Real receivers and a real DNS server on loopback, for the webhook tests.

A :class:`Receiver` is an HTTP server in a thread that records every request and answers
with what the test scripts (a status, or a behaviour: hang, drip, flood). Everything it
does is bounded in time and stops with the test.
"""

import datetime
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.dns_server import DNSServer
from webhooks import tasks

HOLD_SECONDS = 20.0  # the longest a hostile receiver keeps a connection


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next scripted reply (the last one repeats)."""

    replies: list = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    got_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    bytes_sent: int = 0
    finished: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def next_reply(self):
        index = min(len(self.requests) - 1, len(self.replies) - 1)
        return self.replies[index]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            reply = receiver.next_reply()
            receiver.got_request.set()
            try:
                if callable(reply):
                    reply(self, receiver)
                else:
                    self.send_response(reply)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
            except OSError:
                pass  # the client hung up: what hostile replies expect
            finally:
                receiver.finished = True

    return Handler


def hang(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """Never answer (until the test ends or HOLD_SECONDS pass)."""
    receiver.release.wait(HOLD_SECONDS)


def drip_body(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """Answer 200 at once, then a byte of body every 0.2 s."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline and not receiver.release.is_set():
        handler.wfile.write(b"x")
        handler.wfile.flush()
        receiver.bytes_sent += 1
        time.sleep(0.2)


def drip_headers(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """A status line, then header bytes one by one, never ending the headers."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    deadline = time.monotonic() + HOLD_SECONDS
    while time.monotonic() < deadline and not receiver.release.is_set():
        handler.wfile.write(b"X-Slow: a\r\n")
        handler.wfile.flush()
        time.sleep(0.2)


def flood(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """A 1 GB answer, written until the client stops reading."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(1 << 30))
    handler.end_headers()
    chunk = b"x" * 65536
    while receiver.bytes_sent < 1 << 30 and not receiver.release.is_set():
        handler.wfile.write(chunk)
        receiver.bytes_sent += len(chunk)


def redirect_to(location: str) -> Callable:
    def reply(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
        handler.send_response(307)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return reply


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(*replies, tls: ssl.SSLContext | None = None) -> Receiver:
        receiver = Receiver(replies=list(replies) or [200])
        receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
        if tls is not None:
            receiver.server.socket = tls.wrap_socket(receiver.server.socket, server_side=True)
        receiver.server.daemon_threads = True
        threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.release.set()
        assert receiver.server is not None
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def dns_server(settings) -> Iterator[DNSServer]:
    """The client's resolver points at this server (WEBHOOK_DNS_SERVERS)."""
    server = DNSServer()
    settings.WEBHOOK_DNS_SERVERS = [f"127.0.0.1:{server.port}"]
    yield server
    server.stop()


def certificate_for(name: str, directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A CA (its PEM file, for WEBHOOK_CA_BUNDLE) and a server context for ``name`` it signed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def cert(subject: str, key, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
            builder = builder.add_extension(usage, critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_cert = cert("Test CA", ca_key, "Test CA", ca_key, ca=True)
    server_cert = cert(name, server_key, "Test CA", ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.pem").write_bytes(
        server_cert.public_bytes(pem)
        + server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem")
    return directory / "ca.pem", context


@pytest.fixture
def loopback_receivers(settings) -> None:
    """What an operator would set to reach receivers on loopback over plain HTTP."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    settings.PUBLIC_BASE_URL = "https://images.example.com"


@pytest.fixture
def settle() -> Callable[[], None]:
    """Wait for the in-process delivery threads (bounded)."""

    def wait() -> None:
        assert tasks.drain(timeout=30), "in-process deliveries did not finish"

    return wait
