"""A production start refuses a guessable SECRET_KEY; HTTPS settings come from the
environment; `check --deploy` has nothing left to say but what the README explains."""

import os
import secrets
import subprocess

import jwt
import pytest
from rest_framework.test import APIClient

from tests.platform.conftest import ROOT, run_python


def run_django(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return run_python(
        "-c",
        f"import django; django.setup(); {code}",
        env={**clean, "DJANGO_SETTINGS_MODULE": "imageapi.settings", "DATA_DIR": str(tmp_path)}
        | env,
    )


@pytest.mark.parametrize(
    "key",
    [
        "change-me",  # .env.example's placeholder
        "short-but-random-Zx81",
        "django-insecure-" + "x1y2z3" * 10,
        "change-me-" + secrets.token_urlsafe(50),
        "a" * 60,
        "key-xxxxxxxx-" + secrets.token_hex(25),
        "MY-SECRET-KEY-" + secrets.token_hex(25),
    ],
)
def test_a_guessable_secret_key_stops_the_start_and_names_the_variable(tmp_path, key):
    result = run_django("print('started')", tmp_path, SECRET_KEY=key)

    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured: SECRET_KEY" in result.stderr


def test_a_random_key_or_the_generated_one_starts(tmp_path):
    assert run_django("", tmp_path, SECRET_KEY=secrets.token_urlsafe(50)).returncode == 0
    assert run_django("", tmp_path).returncode == 0  # generated into DATA_DIR


@pytest.mark.parametrize("chance", ["xXx", "XXX", "sEcReT", "DumMy", "cHange"])
def test_a_random_key_holding_a_placeholder_by_chance_starts(tmp_path, chance):
    # token_urlsafe(50) writes "xxx" in some case about once in 500 keys.
    random = secrets.token_urlsafe(50)
    key = random[:30] + chance + random[30:]

    assert run_django("", tmp_path, SECRET_KEY=key).returncode == 0


def test_debug_mode_accepts_a_short_key_for_local_work(tmp_path):
    assert run_django("", tmp_path, SECRET_KEY="dev", DEBUG="1").returncode == 0


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_a_jwt_forged_with_the_example_key_is_refused(make_user):
    admin = make_user(is_superuser=True, is_staff=True)
    forged = jwt.encode(
        {"token_type": "access", "user_id": str(admin.pk), "exp": 4102444800, "jti": "x"},
        "change-me",
        algorithm="HS256",
    )
    client = APIClient()
    client.cookies["access_token"] = forged

    assert client.get("/api/user/images/").status_code == 401


COMPOSE_ENV = {
    # docker-compose.yml's app environment, with loopback stand-ins for its servers
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "CSRF_TRUSTED_ORIGINS": "http://localhost:8080",
    "NUM_PROXIES": "1",
    "DATABASE_URL": "postgres://images:pw@127.0.0.1:1/images",
    "CACHE_URL": "redis://127.0.0.1:1/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/1",
    "STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "images",
    "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:1",
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_ACCESS_KEY_ID": "imageapi",
    "AWS_SECRET_ACCESS_KEY": "not-a-real-secret",
    "MEDIA_DELIVERY": "nginx",
}


def deploy_check(tmp_path, **env) -> str:
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        env={**os.environ, **COMPOSE_ENV, "SECRET_KEY": secrets.token_urlsafe(50)}
        | {"DATA_DIR": str(tmp_path)}
        | env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_deploy_check_in_the_compose_configuration_warns_only_of_the_ssl_redirect(tmp_path):
    """W008 (SECURE_SSL_REDIRECT off) is explained in the README: TLS ends at the proxy
    in front, which redirects; SECURE_SSL_REDIRECT=1 makes the app redirect too."""
    output = deploy_check(tmp_path)

    assert "security.W008" in output
    assert "System check identified 1 issue" in output, output
    readme = (ROOT / "README.md").read_text()
    assert "security.W008" in readme


def test_deploy_check_is_silent_with_the_app_redirecting(tmp_path):
    output = deploy_check(tmp_path, SECURE_SSL_REDIRECT="1")

    assert "System check identified no issues" in output, output


def test_https_settings_follow_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER)"
    )
    env = {"SECRET_KEY": secrets.token_urlsafe(50)}
    behind_proxy = run_django(code, tmp_path, NUM_PROXIES="1", **env)
    plain_http = run_django(
        code.replace("s.SECURE_PROXY_SSL_HEADER", "getattr(s, 'SECURE_PROXY_SSL_HEADER', None)"),
        tmp_path,
        SECURE_COOKIES="0",
        **env,
    )
    chosen = run_django(
        code,
        tmp_path,
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        NUM_PROXIES="1",
        **env,
    )

    assert behind_proxy.stdout.split() == [
        "31536000",
        "False",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ]
    assert plain_http.stdout.split() == ["0", "False", "None"]
    assert chosen.stdout.split()[:2] == ["600", "True"]


def test_https_responses_carry_hsts(client, settings):
    response = client.get("/healthz", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000"
