"""Property tests: the API answers what its OpenAPI document says, however odd the request.

Schemathesis generates requests from the schema (valid and invalid bodies, parameters
and headers) and sends them through the WSGI application as a signed-in Enterprise
user who owns an image, with every check it has: no server error, only documented
status codes, content types, headers and bodies that match their schemas, invalid
input refused and valid input accepted, and, run as sequences of calls linked through
their answers (stateful), no deleted object still found. Examples are derandomised so
every run sends the same ones.

What a schema cannot say is told here: an upload's file is a real image of an accepted
format (the encoding names those types; the files are made by Pillow and libheif).
"""

import io
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test
from PIL import Image as PILImage
from rest_framework.authtoken.models import Token
from schemathesis.checks import positive_data_acceptance

from imageapi.wsgi import application
from images.processing.formats import MIME_TYPES, SOURCE_FORMATS
from tests.conftest import image_bytes
from tests.processing.factories import heic

SIZES = st.tuples(st.integers(1, 64), st.integers(1, 64))


def real_image(size: tuple[int, int], fmt: str) -> bytes:
    """A real image of an accepted format (HEIC through libheif: Pillow cannot write it)."""
    if fmt == "HEIF":
        return heic(PILImage.open(io.BytesIO(image_bytes(*size, "PNG"))).convert("RGB"))
    return image_bytes(*size, fmt)


for _format in SOURCE_FORMATS:
    schemathesis.openapi.media_type(
        MIME_TYPES[_format], SIZES.map(lambda size, f=_format: real_image(size, f))
    )

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# The WSGI transport hands the checks the raw body: ask for it uncompressed (an HTTP
# client decodes the gzip that JSON answers otherwise get).
HEADERS = {"Host": "testserver", "Accept-Encoding": "identity"}


# The Authorization header of the current test's user, given to every generated call.
SIGNED_IN: dict[str, str] = {}


@schema.auth(refresh_interval=None)  # the token changes with each test's user
class SignedInUser:
    """Schemathesis' own way to sign calls in, so that its checks know which credentials
    are real (and that a call it sends without them must be refused)."""

    def get(self, case, context) -> str:
        return SIGNED_IN.get("authorization", "")  # none while the schema is loaded

    def set(self, case, data: str, context) -> None:
        if data:
            case.headers = {**(case.headers or {}), "Authorization": data}


@pytest.fixture
def enterprise_token(client_for, upload) -> Iterator[str]:
    """A signed-in Enterprise user who owns an image."""
    client = client_for("Enterprise")
    assert upload(client).status_code == 201
    SIGNED_IN["authorization"] = f"Token {Token.objects.get(user=client.user).key}"
    yield SIGNED_IN["authorization"]
    SIGNED_IN.clear()


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


HYPOTHESIS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


# Whether a webhook URL is accepted depends on where its name resolves and on the
# operator's network policy, which no schema can say: a schema-valid URL may be refused.
DEPENDS_ON_THE_NETWORK = {("POST", "/api/user/webhooks/"), ("PATCH", "/api/user/webhooks/{id}/")}


@schema.parametrize()
@HYPOTHESIS
def test_every_answer_is_what_the_schema_says(
    case, enterprise_token, raw_wsgi_keeps_the_test_connection
):
    excluded = []
    if (case.method.upper(), case.path) in DEPENDS_ON_THE_NETWORK:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(headers=HEADERS, excluded_checks=excluded)


def test_sequences_of_calls_are_what_the_schema_says(
    enterprise_token, raw_wsgi_keeps_the_test_connection
):
    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case) -> dict:
            return {"headers": HEADERS}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            excluded = []
            if (case.method.upper(), case.path) in DEPENDS_ON_THE_NETWORK:
                excluded.append(positive_data_acceptance)
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded,
                transport_kwargs=kwargs,
            )

    run_state_machine_as_test(
        Workflow, settings=settings(HYPOTHESIS, max_examples=10, stateful_step_count=6)
    )
