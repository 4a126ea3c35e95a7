"""Django itself: security basics, apps, middleware, templates, time and language, logs."""

from imageapi.settings.environment import (
    BASE_DIR,
    embedded_secret_key,
    env,
    refuse_weak_secret_key,
)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or embedded_secret_key()
if not DEBUG:
    refuse_weak_secret_key(SECRET_KEY)
# Earlier keys, comma-separated: what they signed (media links, sessions) still verifies.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Number of reverse proxies in front of the app; 0 means REMOTE_ADDR is the client.
# Each proxy must append the address it saw to X-Forwarded-For (nginx:
# $proxy_add_x_forwarded_for); the client is the NUM_PROXIES-th address from the right,
# for the brute-force policy, throttles and logs alike. Too high a number lets clients
# choose their address; too low makes every client look like the proxy.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
if NUM_PROXIES:
    USE_X_FORWARDED_HOST = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_prometheus",
    "accounts",
    "images",
    "webhooks",
    "uploads",
]

MIDDLEWARE = [
    "imageapi.request_id.RequestIdMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before any middleware that answers: its headers go on those answers too (a 413
    # for an oversized body), and it answers preflight requests itself.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "imageapi.compression.JSONGZipMiddleware",
    "images.api.upload_limits.RequestSizeLimitMiddleware",
    # Cached API answers are served here, before sessions, authentication and DRF.
    "images.api.cache.AnswerCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "imageapi.metrics.UploadOutcomeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Turns a sign-in that hit the brute-force limit into a JSON 429 (which the metrics
    # middleware, outside it, then counts as such).
    "axes.middleware.AxesMiddleware",
    # Innermost: domain errors and database outages raised by views become JSON.
    "imageapi.error_responses.ErrorMiddleware",
]

ROOT_URLCONF = "imageapi.urls"
CSRF_FAILURE_VIEW = "imageapi.error_responses.csrf_failure"
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

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
