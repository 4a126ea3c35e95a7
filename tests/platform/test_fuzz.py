"""Property test: no request the OpenAPI document allows, however odd, is a server error.

Schemathesis generates requests from the schema (valid and invalid bodies, parameters
and headers) and sends them through the WSGI application as a signed-in Enterprise
user who owns an image. Examples are derandomised so every run sends the same ones.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from imageapi.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def enterprise_token(client_for, upload) -> str:
    """A signed-in Enterprise user who owns an image."""
    client = client_for("Enterprise")
    assert upload(client).status_code == 201
    return f"Token {Token.objects.get(user=client.user).key}"


@pytest.fixture
def raw_wsgi_keeps_the_test_connection(enterprise_token):
    """Keep the test's database connection open across raw WSGI requests, as Django's
    test client does for its own: a request ends by closing stale connections, which on
    PostgreSQL would end the test's transaction. (Set up after the test client's last
    request, since the test client reconnects the signal.)"""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_is_a_server_error(case, enterprise_token, raw_wsgi_keeps_the_test_connection):
    case.call_and_validate(
        headers={"Authorization": enterprise_token, "Host": "testserver"},
        checks=[not_a_server_error],
    )
