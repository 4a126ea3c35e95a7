"""deploy/ensure_bucket.py gives the bucket what staged uploads need: CORS for the listed
origins and a lifecycle rule that deletes staged files (moto's S3, in this process)."""

import importlib.util

import boto3
import pytest
from moto import mock_aws

from tests.live_server import ROOT

BUCKET = "images"


@pytest.fixture
def ensure_bucket():
    spec = importlib.util.spec_from_file_location("ensure_bucket", ROOT / "deploy/ensure_bucket.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def admin():
    with mock_aws():
        client = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_listed_origins_may_post_files_to_the_bucket(ensure_bucket, admin):
    origins = ["https://app.example.com", "http://localhost:5173"]

    assert ensure_bucket.configure(admin, BUCKET, origins) == []

    (rule,) = admin.get_bucket_cors(Bucket=BUCKET)["CORSRules"]
    assert rule["AllowedOrigins"] == origins
    assert rule["AllowedMethods"] == ["POST"]
    assert rule["AllowedHeaders"] == ["*"]  # progress events make browsers preflight
    assert set(rule["ExposeHeaders"]) == {"ETag", "Location"}


def test_without_listed_origins_the_bucket_has_no_cors_rule(ensure_bucket, admin):
    ensure_bucket.configure(admin, BUCKET, ["https://app.example.com"])

    ensure_bucket.configure(admin, BUCKET, [])

    with pytest.raises(admin.exceptions.ClientError, match="NoSuchCORSConfiguration"):
        admin.get_bucket_cors(Bucket=BUCKET)


def test_staged_files_expire_after_a_day(ensure_bucket, admin):
    ensure_bucket.configure(admin, BUCKET, [])

    (rule,) = admin.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["Filter"] == {"Prefix": "staging/"}
    assert rule["Status"] == "Enabled"
    assert rule["Expiration"] == {"Days": 1}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_the_origins_default_to_the_apis_cors_origins(ensure_bucket, monkeypatch):
    monkeypatch.delenv("UPLOAD_CORS_ORIGINS", raising=False)
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "https://a.example.com, https://b.example.com")
    assert ensure_bucket.upload_origins() == ["https://a.example.com", "https://b.example.com"]

    monkeypatch.setenv("UPLOAD_CORS_ORIGINS", "https://only.example.com")
    assert ensure_bucket.upload_origins() == ["https://only.example.com"]


def test_compose_passes_the_origins_to_the_bucket_job():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"]["createbucket"]["environment"]

    assert environment["UPLOAD_CORS_ORIGINS"] == "${UPLOAD_CORS_ORIGINS:-}"
    assert environment["CORS_ALLOWED_ORIGINS"] == "${CORS_ALLOWED_ORIGINS:-}"
