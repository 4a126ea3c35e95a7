"""Registering endpoints: per user, HTTPS to public addresses only, a secret shown once."""

import pytest

from webhooks import services
from webhooks.models import Delivery, Endpoint

WEBHOOKS = "/api/user/webhooks/"
EVENTS = ["image.ready", "image.deleted"]


@pytest.fixture
def public_name(dns_server) -> str:
    """A name that resolves to a public address (nothing is sent to it here)."""
    dns_server.names["hooks.example.test"] = ["93.184.215.14"]
    return "hooks.example.test"


def test_a_user_registers_an_endpoint_and_sees_its_secret_once(client_for, public_name):
    client = client_for("Basic")
    created = client.post(
        WEBHOOKS, {"url": f"https://{public_name}/hook", "events": EVENTS}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["image.deleted", "image.ready"]
    assert body["enabled"] is True and body["disabled_reason"] == ""

    listed = client.get(WEBHOOKS).json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{WEBHOOKS}{body['id']}/").json()


def test_an_endpoint_can_be_disabled_enabled_and_deleted(client_for, public_name):
    client = client_for("Basic")
    made = client.post(
        WEBHOOKS, {"url": f"https://{public_name}/", "events": EVENTS}, format="json"
    ).json()
    url = f"{WEBHOOKS}{made['id']}/"
    assert client.patch(url, {"enabled": False}, format="json").json()["enabled"] is False
    Endpoint.objects.filter(pk=made["id"]).update(disabled_reason="every delivery failed")
    enabled = client.patch(url, {"enabled": True}, format="json").json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] == ""
    assert client.delete(url).status_code == 204
    assert not Endpoint.objects.filter(pk=made["id"]).exists()


def test_unknown_events_are_refused(client_for, public_name):
    answer = client_for("Basic").post(
        WEBHOOKS, {"url": f"https://{public_name}/", "events": ["image.viewed"]}, format="json"
    )
    assert answer.status_code == 400
    assert "events" in answer.json()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.215.14/hook", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://192.168.1.20/hook", "private"),
        ("https://169.254.169.254/latest/meta-data/", "metadata"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fd00:ec2::254]/", "metadata"),
        ("https://100.64.0.1/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://[64:ff9b::a9fe:a9fe]/hook", "metadata"),  # NAT64 of 169.254.169.254
        ("https://user:pw@93.184.215.14/hook", "credentials"),
    ],
)
def test_urls_to_our_own_network_are_refused_when_saved(client_for, url, why):
    answer = client_for("Basic").post(WEBHOOKS, {"url": url, "events": EVENTS}, format="json")
    assert answer.status_code == 400, answer.content
    assert why in answer.json()["url"][0]
    assert not Endpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_refused(client_for, dns_server):
    dns_server.names["cms.example.test"] = ["93.184.215.14", "10.1.2.3"]
    answer = client_for("Basic").post(
        WEBHOOKS, {"url": "https://cms.example.test/hook", "events": EVENTS}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["url"] == [
        "Webhooks cannot be sent to cms.example.test (10.1.2.3): it is a private or reserved "
        "address."
    ]


def test_a_name_that_does_not_resolve_is_refused(client_for, dns_server):
    answer = client_for("Basic").post(
        WEBHOOKS, {"url": "https://nowhere.example.test/", "events": EVENTS}, format="json"
    )
    assert answer.status_code == 400
    assert "does not resolve" in answer.json()["url"][0]


def test_an_operator_allowed_network_may_be_reached(client_for, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    client = client_for("Basic")
    inside = client.post(WEBHOOKS, {"url": "https://10.20.1.5/", "events": EVENTS}, format="json")
    outside = client.post(WEBHOOKS, {"url": "https://10.21.1.5/", "events": EVENTS}, format="json")
    assert (inside.status_code, outside.status_code) == (201, 400)


def test_metadata_stays_refused_inside_an_allowed_network(client_for, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    answer = client_for("Basic").post(
        WEBHOOKS, {"url": "https://169.254.169.254/", "events": EVENTS}, format="json"
    )
    assert answer.status_code == 400 and "metadata" in answer.json()["url"][0]


def test_plain_http_only_where_the_operator_allows_it(client_for, settings, public_name):
    client = client_for("Basic")
    url = {"url": f"http://{public_name}/", "events": EVENTS}
    assert client.post(WEBHOOKS, url, format="json").status_code == 400
    settings.WEBHOOK_ALLOW_HTTP = True
    assert client.post(WEBHOOKS, url, format="json").status_code == 201


def test_no_one_registers_for_another_users_events(client_for, public_name, make_user, upload):
    alice, bob = client_for("Basic"), client_for("Basic")
    # alice names bob as the owner: ignored, the endpoint is hers.
    mine = alice.post(
        WEBHOOKS,
        {"url": f"https://{public_name}/", "events": EVENTS, "owner": bob.user.pk},
        format="json",
    ).json()
    assert Endpoint.objects.get(pk=mine["id"]).owner == alice.user
    # bob's image events do not reach alice's endpoint...
    services.emit("image.ready", bob.user.pk, "k1", {"image": {"id": 1}})
    assert not Delivery.objects.exists()
    # ...and bob's endpoints do not exist for her.
    theirs = bob.post(WEBHOOKS, {"url": f"https://{public_name}/", "events": EVENTS}, format="json")
    theirs_url = f"{WEBHOOKS}{theirs.json()['id']}/"
    assert alice.get(theirs_url).status_code == 404
    assert alice.patch(theirs_url, {"enabled": False}, format="json").status_code == 404
    assert alice.delete(theirs_url).status_code == 404
    assert alice.get(f"{theirs_url}deliveries/").status_code == 404
    assert alice.post(f"{theirs_url}rotate/").status_code == 404
    assert alice.post(f"{theirs_url}test/").status_code == 404
    assert [e["id"] for e in alice.get(WEBHOOKS).json()] == [mine["id"]]


def test_anonymous_requests_are_refused(client):
    assert client.get(WEBHOOKS).status_code == 401
