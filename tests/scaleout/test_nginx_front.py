"""nginx in front of the real app and the S3 server: what the front door promises.

nginx runs deploy/nginx/ rendered with docker-compose.yml's values (tests/deploy/stack.py),
gunicorn serves the app on the test database, the S3 server is with-services' own.
"""

import gzip
import json
import shutil
import socket
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from images.models import Image
from tests.dns_server import DNSServer
from tests.live_server import BIN, Process, free_port, http, wait_for
from tests.scaleout.test_delivery_modes import stored  # noqa: F401 (a fixture)
from tests.scaleout.test_workers_and_storage import path_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def static(tmp_path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    return folder


@pytest.fixture
def front(gunicorn, nginx, static) -> str:
    return nginx(gunicorn(MEDIA_DELIVERY="nginx"), static)


def is_store_xml(body: bytes) -> bool:
    return b"<?xml" in body or b"<Error>" in body


def json_error(status, headers, body) -> dict:
    assert headers["Content-Type"] == "application/json", (status, headers, body)
    # Media errors also carry the app's Cache-Control for the file (see the template):
    # no-store among them forbids any cache to keep the error.
    assert "no-store" in headers.get_all("Cache-Control"), headers.get_all("Cache-Control")
    return json.loads(body)


# --- Media: conditional and range headers stay away from the store -----------------------


def test_conditional_and_range_headers_never_reach_the_store(stored, front):  # noqa: F811
    _, _, expected = stored
    url, data = next(iter(expected.items()))
    link = front + path_of(url)
    etag = http("HEAD", link)[1]["ETag"]

    # If-Match with our own ETag: the whole file. Preconditions are the app's answer,
    # the same as when the app streams the file itself.
    status, _, body = http("GET", link, {"If-Match": etag})
    assert (status, body == data) == (200, True)
    since = "Sat, 01 Jan 2000 00:00:00 GMT"
    status, _, body = http("GET", link, {"If-Unmodified-Since": since})
    assert status == APIClient().get(path_of(url), HTTP_IF_UNMODIFIED_SINCE=since).status_code
    assert not is_store_xml(body)
    # Another ETag: the app's 412, not the store's.
    status, _, body = http("GET", link, {"If-Match": '"something-else"'})
    assert status == 412 and not is_store_xml(body)

    # Ranges are cut by nginx from the whole file.
    status, headers, body = http("GET", link, {"Range": "bytes=0-9"})
    assert (status, body) == (206, data[:10])
    assert headers["Content-Range"] == f"bytes 0-9/{len(data)}"
    assert headers["ETag"] == etag
    # If-Range with another ETag: the whole file; with ours: the range.
    assert http("GET", link, {"Range": "bytes=0-9", "If-Range": '"old"'})[:3:2] == (200, data)
    assert http("GET", link, {"Range": "bytes=0-9", "If-Range": etag})[0] == 206
    # A range past the end: 416 without the store's XML, never cached.
    status, headers, body = http("GET", link, {"Range": f"bytes={len(data) + 10}-"})
    assert status == 416 and not is_store_xml(body)
    assert json_error(status, headers, body)["detail"].startswith("The requested range")


def test_a_file_missing_from_the_store_is_a_json_404_that_is_never_cached(
    stored,  # noqa: F811
    front,
    bucket,
):
    _, _, expected = stored
    url = next(iter(expected))
    bucket.client.delete_object(Bucket=bucket.name, Key=Image.objects.get().file.name)

    status, headers, body = http("GET", front + path_of(url))

    assert status == 404
    assert json_error(status, headers, body) == {"detail": "Not found."}
    assert not is_store_xml(body)


def test_a_store_outage_is_a_json_503_that_is_never_cached(
    stored,  # noqa: F811
    gunicorn,
    nginx,
    static,
    moto_server,
):
    _, _, expected = stored
    url = next(iter(expected))
    # nginx fetches from an S3 address where nothing listens.
    front = nginx(gunicorn(MEDIA_DELIVERY="nginx"), static, S3_UPSTREAM=f"127.0.0.1:{free_port()}")

    status, headers, body = http("GET", front + path_of(url))

    assert status == 503
    assert json_error(status, headers, body)["detail"].startswith("The image store")


# --- nginx's own answers -----------------------------------------------------------------


def test_the_app_down_is_a_json_503_that_is_never_cached(nginx, static):
    front = nginx(f"http://127.0.0.1:{free_port()}", static)

    status, headers, body = http("GET", front + "/api/user/images/")

    assert status == 503
    assert json_error(status, headers, body)["detail"].startswith("The service is unavailable")
    # nginx's own probe does not depend on the app.
    assert http("GET", front + "/nginx-healthz")[0] == 200


def test_a_body_over_the_limit_is_a_json_413(front):
    connection = HTTPConnection(urlsplit(front).netloc, timeout=10)
    connection.putrequest("POST", "/api/user/images/")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(30 * 1024 * 1024))
    connection.endheaders()
    response = connection.getresponse()

    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Cache-Control") == "no-store"
    assert json.loads(response.read()) == {
        "detail": "The request body is over the limit of 21m (MAX_UPLOAD_BYTES plus form overhead)."
    }


def test_json_is_gzipped_and_static_files_use_their_gz(front, static):
    status, headers, body = http(
        "GET", front + "/api/schema/?format=json", {"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    schema = json.loads(gzip.decompress(body))
    assert "/api/user/images/" in schema["paths"]
    assert len(body) < len(json.dumps(schema)) / 3

    (static / "app.css").write_text("body { color: black; }" * 100)
    (static / "app.css.gz").write_bytes(b"precompressed by whitenoise")
    status, headers, body = http("GET", front + "/static/app.css", {"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"], body) == (
        200,
        "gzip",
        b"precompressed by whitenoise",
    )


def test_no_version_in_server_header(front):
    assert http("GET", front + "/nginx-healthz")[1]["Server"] == "nginx"


def test_a_client_that_stalls_is_dropped_after_the_client_timeout(gunicorn, nginx, static):
    front = nginx(gunicorn(), static, CLIENT_TIMEOUT="1s")
    host, port = urlsplit(front).hostname, urlsplit(front).port

    def seconds_until_closed(first_bytes: bytes) -> float:
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(first_bytes)
            began = time.monotonic()
            while sock.recv(4096):  # nginx may answer 408 before it closes
                pass
            return time.monotonic() - began

    # Half the headers, then nothing; the headers, then half a body.
    assert seconds_until_closed(b"GET /api/user/images/ HTTP/1.1\r\nHost: x\r\n") < 5
    body_started = (
        b"POST /api/user/token/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nusername="
    )
    assert seconds_until_closed(body_started) < 5


def test_the_production_client_timeout_is_short():
    from tests.deploy.stack import nginx_production_values

    assert nginx_production_values()["CLIENT_TIMEOUT"] == "15s"


# --- Scheme and host the app sees ---------------------------------------------------------


def absolute_link(front: str, client, headers: dict, source: str = "127.0.0.1") -> str:
    """An absolute link the app builds (the list's `previous`), fetched through nginx."""
    token = client._credentials["HTTP_AUTHORIZATION"]
    netloc = urlsplit(front).netloc
    connection = HTTPConnection(netloc, timeout=10, source_address=(source, 0))
    connection.request(
        "GET",
        "/api/user/images/?limit=1&offset=1",
        headers={"Authorization": token, "Host": netloc, **headers},
    )
    response = connection.getresponse()
    assert response.status == 200, response.read()
    return json.loads(response.read())["previous"]


def test_x_forwarded_proto_is_believed_only_from_the_trusted_tls_proxy(
    client_for, gunicorn, nginx, static
):
    client = client_for("Basic")
    front = nginx(gunicorn(), static, TRUSTED_PROXY="127.0.0.2/32")
    https = {"X-Forwarded-Proto": "https"}

    assert absolute_link(front, client, https, source="127.0.0.2").startswith("https://")
    assert absolute_link(front, client, https, source="127.0.0.1").startswith("http://")
    assert absolute_link(front, client, {}, source="127.0.0.2").startswith("http://")


def test_a_client_sent_x_forwarded_host_is_ignored(client_for, front):
    link = absolute_link(front, client_for("Basic"), {"X-Forwarded-Host": "evil.example"})
    assert urlsplit(link).netloc == urlsplit(front).netloc


def test_https_only_redirects_plain_http_but_not_the_probe(gunicorn, nginx, static):
    front = nginx(gunicorn(), static, HTTPS_ONLY="on")
    status, headers, _ = http("GET", front + "/api/user/images/?x=1")
    assert status == 308
    assert headers["Location"] == "https://127.0.0.1/api/user/images/?x=1"
    assert http("GET", front + "/nginx-healthz")[0] == 200


# --- Following a restarted app to its new address -----------------------------------------


@pytest.fixture
def resolver() -> Iterator[DNSServer]:
    server = DNSServer(ttl=1)
    server.names["web.test"] = ["127.0.0.2"]
    yield server
    server.stop()


def start_app(app_env, logs, address: str, port: int) -> Process:
    proc = Process(
        f"gunicorn {address}:{port}",
        [
            str(BIN / "gunicorn"),
            "imageapi.wsgi:application",
            *("--bind", f"{address}:{port}", "--workers", "1", "--access-logfile", "-"),
            "--no-control-socket",
        ],
        logs / f"gunicorn-{address}-{port}.log",
        {**app_env, "ALLOWED_HOSTS": "*"},
    ).start()
    proc.wait_until(
        f"gunicorn on {address}", lambda: http("GET", f"http://{address}:{port}/healthz")[0] == 200
    )
    return proc


def test_nginx_follows_the_app_to_its_new_address(app_env, logs, nginx, static, resolver):
    port = free_port()
    first = start_app(app_env, logs, "127.0.0.2", port)
    front = nginx(f"http://web.test:{port}", static, NGINX_RESOLVER=f"127.0.0.1:{resolver.port}")
    try:
        assert http("GET", front + "/healthz")[0] == 200
        assert "GET /healthz" in first.output()

        # The container is replaced: the same name, another address.
        first.stop()
        assert http("GET", front + "/healthz")[0] == 503  # JSON, while nothing answers
        resolver.names["web.test"] = ["127.0.0.3"]
        second = start_app(app_env, logs, "127.0.0.3", port)
        wait_for(
            "nginx to reach the new address", lambda: http("GET", front + "/healthz")[0] == 200, 15
        )
        assert "GET /healthz" in second.output()
        assert resolver.queries >= 2
    finally:
        first.stop()
        if "second" in locals():
            second.stop()
    assert shutil.which("nginx") or Path("/usr/sbin/nginx").exists()


# --- HTTPS by nginx itself (deploy/tls.yml) -------------------------------------------------


def test_nginx_terminates_tls_with_hsts_and_https_links(
    client_for, gunicorn, nginx, static, tmp_path
):
    import ssl
    import subprocess

    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    tls_port = free_port()
    front = nginx(
        gunicorn(),
        static,
        tls=True,
        HTTPS_ONLY="on",
        TLS_LISTEN=f"127.0.0.1:{tls_port}",
        TLS_CERTIFICATE=str(cert),
        TLS_CERTIFICATE_KEY=str(key),
        HSTS_MAX_AGE="31536000",
    )
    token = client_for("Basic")._credentials["HTTP_AUTHORIZATION"]
    context = ssl.create_default_context(cafile=str(cert))
    from http.client import HTTPSConnection

    connection = HTTPSConnection("127.0.0.1", tls_port, context=context, timeout=10)
    connection.request(
        "GET", "/api/user/images/?limit=1&offset=1", headers={"Authorization": token}
    )
    response = connection.getresponse()
    body = json.loads(response.read())

    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert body["previous"].startswith(f"https://127.0.0.1:{tls_port}/")
    # Plain HTTP is sent to https.
    assert http("GET", front + "/api/user/images/")[0] == 308


def test_nginxs_own_413_can_be_read_by_a_listed_origin_only(gunicorn, nginx, static):
    listed, unlisted = "http://front.example", "http://elsewhere.example"
    front = nginx(gunicorn(), static, CORS_ALLOWED_ORIGINS=f"http://other.example,{listed}")

    def too_large(origin: str):
        connection = HTTPConnection(urlsplit(front).netloc, timeout=10)
        connection.putrequest("POST", "/api/user/images/")
        connection.putheader("Origin", origin)
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(30 * 1024 * 1024))
        connection.endheaders()
        return connection.getresponse()

    allowed, refused = too_large(listed), too_large(unlisted)

    assert allowed.status == refused.status == 413
    assert allowed.getheader("Access-Control-Allow-Origin") == listed
    assert allowed.getheader("Access-Control-Allow-Credentials") == "true"
    assert allowed.getheader("Cache-Control") == "no-store"
    assert json.loads(allowed.read())["detail"].startswith("The request body is over the limit")
    assert refused.getheader("Access-Control-Allow-Origin") is None
