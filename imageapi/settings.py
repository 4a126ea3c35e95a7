"""Settings for the image API, driven by environment variables (12-factor).

Every variable is optional: the defaults give the embedded mode (SQLite, local-memory
cache, media on local disk, work done in-process), all kept under ``DATA_DIR``.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _embedded_secret_key(path: Path) -> str:
    """Read the data dir's secret key, creating it atomically on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = get_random_secret_key()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_secret_key(DATA_DIR / "secret_key")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Number of reverse proxies in front of the app; 0 means REMOTE_ADDR is the client.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES:
    USE_X_FORWARDED_HOST = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "images",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "images.uploads.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "imageapi.urls"
WSGI_APPLICATION = "imageapi.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "imageapi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let several gunicorn workers share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Cache ------------------------------------------------------------------
_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache_url_config(_cache_url)
    if _cache_url
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "imageapi",
    }
}
CACHES["default"].setdefault("KEY_PREFIX", "imageapi")
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # Fail fast when Redis is unreachable: readiness turns 503 and the throttle lets
    # sign-ins through instead of every request hanging on a dead socket.
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 2)
    _redis_options.setdefault("socket_timeout", 5)

# --- Static files and media -------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = DATA_DIR / "media"
# There is no public media URL: files are only reachable through signed links.
MEDIA_URL = None

STORAGE = env.str("STORAGE", default="local")
if STORAGE not in {"local", "s3"}:
    raise ValueError(f"STORAGE must be 'local' or 's3', not {STORAGE!r}")
if STORAGE == "s3":
    from botocore.config import Config as _BotoConfig

    _s3_endpoint = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": _s3_endpoint,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "querystring_auth": True,
            # Keys are random, so saving never asks S3 whether a name is taken (no
            # exists() round trip); the database is the record of what exists.
            "file_overwrite": True,
            "client_config": _BotoConfig(
                signature_version="s3v4",
                # MinIO and most S3-compatible servers want path-style URLs.
                s3={
                    "addressing_style": env.str(
                        "AWS_S3_ADDRESSING_STYLE", default="path" if _s3_endpoint else "auto"
                    )
                },
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=30),
                retries={"mode": "standard", "max_attempts": 3},
            ),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Images -----------------------------------------------------------------
MAX_UPLOAD_BYTES = env.int("MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=50_000_000)
# Decode cost, bounded from the header before decoding (see images/processing/types.py):
# the estimated peak memory of one decode (256 MiB takes every 8-bit PNG and baseline or
# 4:2:0 JPEG up to 50 MP, and refuses a 50 MP progressive 4:4:4 JPEG: 300 MB of
# coefficients), and JPEG scans (ordinary progressive files use 6-18; each costs a full
# pass over the coefficients).
MAX_DECODE_BYTES = env.int("MAX_DECODE_BYTES", default=256 * 1024 * 1024)
MAX_JPEG_SCANS = env.int("MAX_JPEG_SCANS", default=32)
MAX_THUMBNAIL_HEIGHT = env.int("MAX_THUMBNAIL_HEIGHT", default=4096)
THUMBNAIL_JPEG_QUALITY = env.int("THUMBNAIL_JPEG_QUALITY", default=85)
THUMBNAIL_JPEG_PROGRESSIVE = env.bool("THUMBNAIL_JPEG_PROGRESSIVE", default=True)
THUMBNAIL_JPEG_OPTIMIZE = env.bool("THUMBNAIL_JPEG_OPTIMIZE", default=True)
THUMBNAIL_WEBP_QUALITY = env.int("THUMBNAIL_WEBP_QUALITY", default=80)
THUMBNAIL_AVIF_QUALITY = env.int("THUMBNAIL_AVIF_QUALITY", default=60)
# Modern formats a thumbnail URL may serve when the client's Accept header prefers them.
THUMBNAIL_FORMATS = env.list("THUMBNAIL_FORMATS", default=["webp", "avif"])
MEDIA_DELIVERY = env.str("MEDIA_DELIVERY", default="app")
if MEDIA_DELIVERY not in {"app", "nginx", "redirect"}:
    raise ValueError(f"MEDIA_DELIVERY must be 'app', 'nginx' or 'redirect', not {MEDIA_DELIVERY!r}")
if MEDIA_DELIVERY == "redirect" and STORAGE != "s3":
    raise ValueError("MEDIA_DELIVERY=redirect needs STORAGE=s3 (it redirects to presigned URLs)")
MEDIA_NGINX_LOCATION = env.str("MEDIA_NGINX_LOCATION", default="/protected-media/")
# Lifetime of the presigned URLs a redirect hands out (never longer than an expiring
# link has left); nginx mode fetches at once and uses a minute at most.
MEDIA_PRESIGNED_SECONDS = env.int("MEDIA_PRESIGNED_SECONDS", default=600)
EXPIRING_LINK_MIN_SECONDS = 300
EXPIRING_LINK_MAX_SECONDS = 30000
API_CACHE_SECONDS = env.int("API_CACHE_SECONDS", default=15)

# Requests never hold more than this in memory; larger bodies spill to temp files and
# uploads over MAX_UPLOAD_BYTES are refused while they stream in.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "images.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Background work --------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or None
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True

# --- Auth -------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Cookies are sent over HTTPS only. Browsers also accept them from http://localhost;
# to serve plain HTTP to other hosts (a LAN, no TLS), set SECURE_COOKIES=0.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
JWT_COOKIES = {
    "ACCESS": "access_token",
    "REFRESH": "refresh_token",
    "SECURE": SECURE_COOKIES,
    "SAMESITE": "Lax",
    "REFRESH_PATH": "/api/user/",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.JWTCookieAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"login": env.str("LOGIN_THROTTLE_RATE", default="10/min")},
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Image API",
    "DESCRIPTION": (
        "Upload JPEG or PNG images and get thumbnail links sized by your account tier, "
        "a link to the original where the tier allows it, and signed links that expire."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("pl", "Polish")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
