"""One-off job: make the app's private bucket, then prove the app's key can use it.

Run by compose's `createbucket` service (docker-compose.yml) before web and worker:

    S3_ENDPOINT_URL  AWS_STORAGE_BUCKET_NAME
    S3_ADMIN_ACCESS_KEY  S3_ADMIN_SECRET_KEY    the key allowed to create the bucket
    AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY    the app's key

Safe to run on every `up`: an existing bucket is kept. The app's key then writes, reads
and deletes a probe object (what uploads, deliveries and deletions do), so a key that
lacks a right stops the start here with the store's own reason, instead of at the
first upload. Exits non-zero on any failure.
"""

import os
import sys
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

WAIT_SECONDS = 60.0


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
        probe(app, bucket)
    except (ClientError, BotoCoreError, RuntimeError) as exc:
        print(f"createbucket: {exc}", file=sys.stderr)
        return 1
    print(f"bucket {bucket}: the app's key can write, read and delete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
