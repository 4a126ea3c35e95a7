"""A receiver cannot make a delivery read without bound, hang a worker, or steer it elsewhere."""

import pytest

from tests.webhooks.conftest import (
    certificate_for,
    drip_body,
    drip_headers,
    flood,
    hang,
    redirect_to,
)
from webhooks import client

pytestmark = pytest.mark.usefixtures("loopback_receivers")
BODY = b'{"type": "webhook.test"}'


@pytest.fixture(autouse=True)
def _short_deadline(settings):
    settings.WEBHOOK_TOTAL_TIMEOUT = 1.0


def test_a_1_gb_answer_is_read_only_a_few_kb(make_receiver):
    receiver = make_receiver(flood)
    outcome = client.post(receiver.url(), BODY, {})
    assert outcome.ok and outcome.status == 200
    assert len(outcome.body) == 4096
    receiver.server.shutdown()  # waits for nothing: the handler ends when we hung up
    assert receiver.bytes_sent < 64 * 1024 * 1024  # the socket buffers, not a gigabyte


def test_a_slowly_dripped_body_ends_at_the_deadline(make_receiver):
    receiver = make_receiver(drip_body)
    outcome = client.post(receiver.url(), BODY, {})
    # The 200 came in time, so the event was delivered; the body is cut at the deadline.
    assert outcome.ok
    assert 0 < len(outcome.body) < 100
    assert not receiver.finished  # still dripping when we gave up


def test_slowly_dripped_headers_end_at_the_deadline(make_receiver):
    receiver = make_receiver(drip_headers)
    outcome = client.post(receiver.url(), BODY, {})
    assert (outcome.status, outcome.error) == (None, "no complete answer within 1 s")
    assert not receiver.finished


def test_a_receiver_that_never_answers_ends_at_the_deadline(make_receiver):
    receiver = make_receiver(hang)
    outcome = client.post(receiver.url(), BODY, {})
    assert (outcome.status, outcome.error) == (None, "no complete answer within 1 s")
    assert receiver.got_request.is_set() and not receiver.finished


def test_a_redirect_to_a_private_address_is_not_followed(make_receiver):
    inside = make_receiver(200)  # stands for an internal service
    receiver = make_receiver(redirect_to(inside.url("/admin")))
    outcome = client.post(receiver.url(), BODY, {})
    assert not outcome.ok and outcome.status == 307
    assert outcome.error.startswith("answered 307: redirects are not followed")
    assert inside.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.2:9/hook",  # allowed network, so only the metadata check applies below
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]:9/",
        "https://10.0.0.1/",
    ],
)
def test_forbidden_addresses_are_refused_before_connecting(url, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    outcome = client.post(url, BODY, {})
    assert outcome.status is None
    assert outcome.error.startswith("Webhooks cannot be sent to")


def test_every_address_of_a_name_is_checked(dns_server, make_receiver, settings):
    receiver = make_receiver(200)
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    dns_server.names["mixed.example.test"] = ["127.0.0.1", "10.9.8.7"]
    outcome = client.post(receiver.url(host="mixed.example.test"), BODY, {})
    assert outcome.error.endswith("(10.9.8.7): it is a private or reserved address.")
    assert receiver.requests == []


def test_a_closed_port_is_a_failed_attempt(settings):
    from tests.live_server import free_port

    outcome = client.post(f"http://127.0.0.1:{free_port()}/", BODY, {})
    assert outcome.status is None and outcome.error.startswith("connecting to 127.0.0.1")


def test_https_goes_to_the_checked_address_with_the_urls_name(
    dns_server, make_receiver, settings, tmp_path
):
    """The connection is to the address that was checked; TLS (SNI and the certificate
    check) and Host use the URL's name."""
    ca, tls = certificate_for("hooks.example.test", tmp_path)
    settings.WEBHOOK_CA_BUNDLE = str(ca)
    dns_server.names["hooks.example.test"] = ["127.0.0.1"]
    dns_server.names["other.example.test"] = ["127.0.0.1"]
    receiver = make_receiver(200, tls=tls)

    outcome = client.post(f"https://hooks.example.test:{receiver.port}/hook", BODY, {})
    assert outcome.ok, outcome.error
    assert receiver.requests[0].headers["Host"] == f"hooks.example.test:{receiver.port}"

    # A certificate for another name is refused, so the name check is on.
    outcome = client.post(f"https://other.example.test:{receiver.port}/hook", BODY, {})
    assert outcome.status is None and "certificate verify failed" in outcome.error
    assert len(receiver.requests) == 1
