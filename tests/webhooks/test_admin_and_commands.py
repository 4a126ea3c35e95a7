"""Admins manage endpoints and read the delivery log; operators test a URL from the shell."""

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command

from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.verify import verify

pytestmark = pytest.mark.usefixtures("loopback_receivers")


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(admin_client, make_user, make_receiver):
    owner = make_user("Basic")
    receiver = make_receiver(200)
    form = {"owner": owner.pk, "url": receiver.url(), "events": ["image.ready"], "enabled": "on"}
    answer = admin_client.post("/admin/webhooks/endpoint/add/", form)
    assert answer.status_code == 302, answer.content
    endpoint = Endpoint.objects.get()
    shown = [str(m) for m in get_messages(answer.wsgi_request)]
    assert any(endpoint.secret in m for m in shown)
    page = admin_client.get(answer["Location"])  # shows the message once...
    assert endpoint.secret in page.content.decode()
    again = admin_client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")  # ...only
    assert again.status_code == 200 and endpoint.secret not in again.content.decode()


def test_the_admin_refuses_an_unsafe_url(admin_client, make_user, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    form = {
        "owner": make_user("Basic").pk,
        "url": "https://169.254.169.254/",
        "events": ["image.ready"],
    }
    answer = admin_client.post("/admin/webhooks/endpoint/add/", form)
    assert answer.status_code == 200
    assert "cloud metadata address" in answer.content.decode()
    assert not Endpoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_admin_sends_a_test_event_and_shows_the_log(admin_client, make_user, make_receiver):
    receiver = make_receiver(200)
    endpoint, secret = services.create_endpoint(make_user("Basic"), receiver.url(), ["image.ready"])
    answer = admin_client.post(
        "/admin/webhooks/endpoint/",
        {"action": "send_test_event", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    assert f"Test event to {endpoint.url}: succeeded 200" in answer.content.decode()
    verify(secret, receiver.requests[0].headers, receiver.requests[0].body)
    log = admin_client.get("/admin/webhooks/delivery/").content.decode()
    assert Delivery.objects.get().event_id in log and "webhook.test" in log


def test_webhook_test_sends_a_signed_event(make_receiver, capsys):
    receiver = make_receiver(200)
    call_command("webhook_test", receiver.url())
    out = capsys.readouterr().out
    secret = out.split("Signed with ")[1].split()[0]
    verify(secret, receiver.requests[0].headers, receiver.requests[0].body)
    assert "the receiver answered 200" in out


def test_webhook_test_says_why_a_url_is_refused(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    with pytest.raises(CommandError, match="loopback"):
        call_command("webhook_test", "http://127.0.0.1:9/")


@pytest.mark.django_db(transaction=True)
def test_webhook_sweep_sends_due_retries(make_receiver, make_user, capsys):
    receiver = make_receiver(500, 200)
    endpoint, _ = services.create_endpoint(make_user("Basic"), receiver.url(), ["image.ready"])
    services.emit("image.ready", endpoint.owner_id, "key", {})
    call_command("webhook_sweep")  # waits for the first attempt too
    call_command("webhook_sweep")
    assert "Sent 1 due webhook deliveries." in capsys.readouterr().out
    assert Delivery.objects.get().status == "succeeded"
    assert len(receiver.requests) == 2
