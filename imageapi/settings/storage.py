"""Where files live: originals and thumbnails on local disk or S3, static files by WhiteNoise."""

from pathlib import Path

from imageapi.settings.environment import BASE_DIR, DATA_DIR, env

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "imageapi" / "static"]
# Files browsers ask for at the site root (favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "imageapi" / "root"
MEDIA_ROOT = DATA_DIR / "media"
# There is no public media URL: files are only reachable through signed links.
MEDIA_URL = None

STORAGE = env.str("STORAGE", default="local")
if STORAGE not in {"local", "s3"}:
    raise ValueError(f"STORAGE must be 'local' or 's3', not {STORAGE!r}")


def _s3_storage() -> dict:
    from botocore.config import Config

    endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": endpoint,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            # Keys are random, so saving never asks S3 whether a name is taken (no
            # exists() round trip); the database is the record of what exists.
            "file_overwrite": True,
            "client_config": Config(
                signature_version="s3v4",
                # MinIO and most S3-compatible servers want path-style URLs.
                s3={
                    "addressing_style": env.str(
                        "AWS_S3_ADDRESSING_STYLE", default="path" if endpoint else "auto"
                    )
                },
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=30),
                retries={"mode": "standard", "max_attempts": 3},
            ),
        },
    }


STORAGES = {
    "default": _s3_storage()
    if STORAGE == "s3"
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
