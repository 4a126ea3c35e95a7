"""One-off job: make the app's private bucket, then prove the app's key can use it.

Run by compose's `createbucket` service (docker-compose.yml) before web and worker:

    S3_ENDPOINT_URL  AWS_STORAGE_BUCKET_NAME
    S3_ADMIN_ACCESS_KEY  S3_ADMIN_SECRET_KEY    the key allowed to create the bucket
    AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY    the app's key
    UPLOAD_CORS_ORIGINS                         origins whose pages upload straight to
                                                the bucket (comma-separated; default
                                                CORS_ALLOWED_ORIGINS)

Safe to run on every `up`: an existing bucket is kept, and its rules are set again:

* CORS, so a page on a listed origin can POST a file to the bucket with a presigned
  POST (staged uploads) and read the answer: method POST from those origins, any
  request header (browsers preflight when upload progress is watched), ETag and
  Location exposed. Without listed origins no CORS rule is set (and any is removed).
* A lifecycle rule that deletes objects under ``staging/`` a day after they were
  written, and multipart uploads left incomplete there: staged files never completed
  go even if the app's own sweep never runs.

The app's key then writes, reads and deletes a probe object (what uploads, deliveries
and deletions do), so a key that lacks a right stops the start here with the store's
own reason, instead of at the first upload. Exits non-zero on any failure.
"""

import os
import sys
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WAIT_SECONDS = 60.0
STAGING_PREFIX = "staging/"
STAGING_DAYS = 1


def client(access_key: str, secret_key: str):
    return boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT_URL"],
        region_name=os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=3,
            read_timeout=10,
            retries={"max_attempts": 1},
        ),
    )


def ensure_bucket(admin, bucket: str) -> str:
    """Create ``bucket`` unless it exists; retried while the store is still starting."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            admin.head_bucket(Bucket=bucket)
            return "exists"
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in {"404", "NoSuchBucket"}:
                raise
        except BotoCoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
            continue
        try:
            admin.create_bucket(Bucket=bucket)
            return "created"
        except ClientError as exc:
            if exc.response["Error"]["Code"] in {"BucketAlreadyOwnedByYou"}:
                return "exists"
            raise


def cors_rules(origins: list[str]) -> list[dict]:
    """What the bucket needs so pages on ``origins`` can POST files to it directly."""
    if not origins:
        return []
    return [
        {
            "ID": "staged-uploads",
            "AllowedOrigins": origins,
            "AllowedMethods": ["POST"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag", "Location"],
            "MaxAgeSeconds": 3600,
        }
    ]


def lifecycle_rules() -> list[dict]:
    """Staged files expire a day after they were written, whatever the app does."""
    return [
        {
            "ID": "expire-staged-uploads",
            "Filter": {"Prefix": STAGING_PREFIX},
            "Status": "Enabled",
            "Expiration": {"Days": STAGING_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": STAGING_DAYS},
        }
    ]


UNSUPPORTED = {"NotImplemented", "NotImplementedError", "501"}


def configure(admin, bucket: str, origins: list[str]) -> list[str]:
    """Set the bucket's CORS and lifecycle rules (replacing what was there).

    Returns the rules the store does not implement (named, so the start log says what
    is missing); any other refusal raises.
    """
    rules = cors_rules(origins)
    steps = {
        "CORS": (
            (lambda: admin.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules}))
            if rules
            else (lambda: admin.delete_bucket_cors(Bucket=bucket))
        ),
        "lifecycle": lambda: admin.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle_rules()}
        ),
    }
    missing = []
    for name, step in steps.items():
        try:
            step()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in UNSUPPORTED:
                raise
            missing.append(name)
    return missing


def upload_origins() -> list[str]:
    raw = os.environ.get("UPLOAD_CORS_ORIGINS") or os.environ.get("CORS_ALLOWED_ORIGINS", "")
    return [origin.strip() for origin in raw.split(",") if origin.strip()]


def probe(app, bucket: str) -> None:
    """Write, read and delete one object with the app's key."""
    key = f"healthcheck/{uuid.uuid4().hex}"
    app.put_object(Bucket=bucket, Key=key, Body=b"probe")
    try:
        body = app.get_object(Bucket=bucket, Key=key)["Body"].read()
        if body != b"probe":
            raise RuntimeError(f"read back {body!r} instead of the probe")
    finally:
        app.delete_object(Bucket=bucket, Key=key)


def main() -> int:
    bucket = os.environ["AWS_STORAGE_BUCKET_NAME"]
    admin = client(os.environ["S3_ADMIN_ACCESS_KEY"], os.environ["S3_ADMIN_SECRET_KEY"])
    app = client(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    try:
        outcome = ensure_bucket(admin, bucket)
        print(f"bucket {bucket}: {outcome}")
        origins = upload_origins()
        for rule in configure(admin, bucket, origins):
            print(f"createbucket: WARNING: the store has no {rule} rules", file=sys.stderr)
        print(
            f"bucket {bucket}: CORS for {', '.join(origins) or 'no origin'}; "
            f"{STAGING_PREFIX} expires after {STAGING_DAYS} day(s)"
        )
        probe(app, bucket)
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        print(f"createbucket: {exc}", file=sys.stderr)
        return 1
    print(f"bucket {bucket}: the app's key can write, read and delete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
