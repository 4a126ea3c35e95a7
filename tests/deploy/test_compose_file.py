"""docker-compose.yml, deploy/tls.yml and .env.example: valid, complete and consistent.

No Docker engine runs here. The files are checked against the official Compose
Specification schema and by the real Docker Compose binary's `config`, which
interpolates .env exactly as `docker compose up` does.
"""

import re

import jsonschema
import pytest
import yaml

from tests.deploy.stack import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    NGINX_TEMPLATES,
    NGINX_TLS_TEMPLATE,
    ROOT,
    TLS_OVERRIDE,
    compose_config,
    make_project,
    parse_env_file,
)

APP_SERVICES = ("web", "worker", "migrate")
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def schema_errors(schema: dict, document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


# --- The official schema, before and after .env -------------------------------------


@pytest.mark.parametrize("path", [COMPOSE_FILE, TLS_OVERRIDE], ids=lambda p: p.name)
def test_the_files_as_written_follow_the_compose_specification(compose_spec_schema, path):
    assert schema_errors(compose_spec_schema, yaml.safe_load(path.read_text())) == []


def test_the_model_after_env_follows_the_compose_specification(compose_spec_schema, model):
    assert schema_errors(compose_spec_schema, model) == []


def test_the_tls_model_follows_the_compose_specification(compose_spec_schema, tls_model):
    assert schema_errors(compose_spec_schema, tls_model) == []
    assert "443" in {str(p["target"]) for p in tls_model["services"]["nginx"]["ports"]}


def test_the_schema_check_catches_a_broken_file(compose_spec_schema):
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["web"]["healthcheck"]["interval"] = ["10s"]
    broken["services"]["nginx"]["restart_policy"] = "always"
    assert len(schema_errors(compose_spec_schema, broken)) == 2


# --- Secrets: empty in .env.example, refused until filled in ----------------------------


def test_env_example_as_it_is_is_refused(tmp_path):
    result = compose_config(make_project(tmp_path, parse_env_file(ENV_EXAMPLE)))
    assert result.returncode != 0
    assert "is missing a value" in result.stderr


SECRETS = [
    "SECRET_KEY",
    "POSTGRES_PASSWORD",
    "S3_ADMIN_ACCESS_KEY",
    "S3_ADMIN_SECRET_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
]


def test_every_secret_in_env_example_is_empty():
    values = parse_env_file(ENV_EXAMPLE)
    assert {name: values[name] for name in SECRETS} == dict.fromkeys(SECRETS, "")


@pytest.mark.parametrize("secret", SECRETS)
def test_compose_refuses_to_start_without_each_secret(tmp_path, production_env, secret):
    result = compose_config(make_project(tmp_path, {**production_env, secret: ""}))
    assert result.returncode != 0
    assert f"set {secret} in .env" in result.stderr


def test_filled_in_env_starts_and_reaches_the_app(model, production_env):
    web = model["services"]["web"]["environment"]
    assert web["SECRET_KEY"] == production_env["SECRET_KEY"]
    assert web["ALLOWED_HOSTS"] == "images.example.com"
    # The app never holds the bucket administrator's key.
    assert web["S3_ADMIN_SECRET_KEY"] == ""
    assert production_env["S3_ADMIN_SECRET_KEY"] not in str(model["services"]["web"])


# --- Every variable is documented; every documented setting can be set ----------------


def env_example_names() -> set[str]:
    """Names in .env.example, set or shown commented out (#NAME=value)."""
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


@pytest.mark.parametrize("path", [COMPOSE_FILE, TLS_OVERRIDE], ids=lambda p: p.name)
def test_every_variable_the_compose_files_use_is_in_env_example(path):
    used = set(VARIABLE.findall(path.read_text()))
    assert used, "no ${VAR} found: the pattern is wrong"
    assert used - env_example_names() == set()


def readme_settings() -> set[str]:
    """Backquoted names in the README's "Configuration" and scale-out variable tables."""
    readme = (ROOT / "README.md").read_text()
    names = set()
    for heading in ("## Configuration", "### Variables for scaling out"):
        section = readme.split(heading, 1)[1].split("\n#", 1)[0]
        for row in section.splitlines():
            if row.startswith("| `"):
                first_cell = row.split("|")[1]
                names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)", first_cell))
    return names


# Set by the topology of docker-compose.yml, not by .env, and why.
FIXED_BY_COMPOSE = {
    "DATA_DIR": "the image's writable folder",
    "DATABASE_URL": "made from POSTGRES_* for the db service",
    "CACHE_URL": "the redis service",
    "REDIS_URL": "CACHE_URL is set",
    "CELERY_BROKER_URL": "the redis service",
    "STORAGE": "s3: the seaweedfs service",
    "AWS_S3_ENDPOINT_URL": "the seaweedfs service (nginx's S3_UPSTREAM must match it)",
    "AWS_S3_REGION_NAME": "SeaweedFS ignores it",
    "MEDIA_DELIVERY": "nginx: the nginx service",
    "MEDIA_NGINX_LOCATION": "must match the nginx template's internal location",
    "STATIC_ROOT": "the volume nginx serves",
    "HOST": "`make run` only",
    "PORT": "`make run` only",
    "WEB_THREADS": "`make run` only",
}


def test_every_setting_the_readme_documents_can_be_set_from_env(tmp_path, production_env):
    documented = readme_settings()
    assert {"SECURE_COOKIES", "CONN_MAX_AGE", "MAX_UPLOAD_BYTES"} <= documented
    settable = documented - set(FIXED_BY_COMPOSE) - {"DJANGO_SUPERUSER_USERNAME", "HTTP_PORT"}
    marked = {name: f"from-env-{name.lower()}" for name in settable}
    from tests.deploy.stack import compose_model

    env = {**production_env, **marked, "HTTP_PORT": "18080"}
    model = compose_model(tmp_path / "project", env)
    assert model["services"]["nginx"]["ports"][0]["published"] == "18080"
    for service in APP_SERVICES:
        environment = model["services"][service]["environment"]
        wrong = {n: environment.get(n) for n, v in marked.items() if environment.get(n) != v}
        assert wrong == {}, f"{service} does not take these from .env"


def test_the_superuser_settings_reach_the_migrate_job(tmp_path, production_env):
    from tests.deploy.stack import compose_model

    env = {**production_env, "DJANGO_SUPERUSER_USERNAME": "root", "DJANGO_SUPERUSER_PASSWORD": "pw"}
    migrate = compose_model(tmp_path / "p", env)["services"]["migrate"]["environment"]
    assert (migrate["DJANGO_SUPERUSER_USERNAME"], migrate["DJANGO_SUPERUSER_PASSWORD"]) == (
        "root",
        "pw",
    )


# --- Start order, health, exposure -------------------------------------------------------


@pytest.mark.parametrize("which", ["model", "tls_model"])
def test_every_service_healthy_dependency_has_a_healthcheck(request, which):
    services = request.getfixturevalue(which)["services"]
    waits = [
        (name, dependency)
        for name, service in services.items()
        for dependency, how in service.get("depends_on", {}).items()
        if how["condition"] == "service_healthy"
    ]
    assert len(waits) >= 5
    for name, dependency in waits:
        check = services[dependency].get("healthcheck", {})
        assert check.get("test", ["NONE"])[0] in {"CMD", "CMD-SHELL"}, (name, dependency)
        assert not check.get("disable"), (name, dependency)


@pytest.mark.parametrize("which", ["model", "tls_model"])
def test_only_nginx_publishes_a_port(request, which):
    services = request.getfixturevalue(which)["services"]
    assert {name for name, service in services.items() if service.get("ports")} == {"nginx"}
    assert services["nginx"]["ports"][0]["host_ip"] == "127.0.0.1"  # until HTTP_BIND says


def test_the_data_tier_has_no_way_out(model):
    assert model["networks"]["backend"]["internal"] is True
    for name, service in model["services"].items():
        expected = {"frontend", "backend"} if name == "nginx" else {"backend"}
        assert set(service["networks"]) == expected, name


def test_jobs_run_once_and_long_runners_restart(model):
    services = model["services"]
    for job in ("migrate", "createbucket"):
        assert services[job]["restart"] == "no"
    for name in ("db", "redis", "seaweedfs", "web", "worker", "nginx"):
        assert services[name]["restart"] == "unless-stopped"


def test_stops_wait_for_graceful_shutdowns(model):
    web = model["services"]["web"]
    graceful = int(
        next(a for a in web["command"] if a.startswith("--graceful-timeout=")).split("=")[1]
    )
    assert graceful < seconds(web["stop_grace_period"])
    assert seconds(model["services"]["worker"]["stop_grace_period"]) >= 60


def seconds(duration: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(s|m)", duration.replace("m0s", "m")).groups()
    return float(number) * (60 if unit == "m" else 1)


def test_every_service_rotates_its_logs(model):
    for name, service in model["services"].items():
        assert service["logging"]["options"]["max-size"] == "10m", name


def test_redis_has_a_memory_bound_and_never_evicts_queued_tasks(model):
    command = model["services"]["redis"]["command"]
    assert command[command.index("--maxmemory") + 1] == "256mb"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"


def test_static_files_are_collected_without_clearing_what_nginx_serves(model):
    script = " ".join(model["services"]["migrate"]["command"])
    assert "collectstatic" in script
    assert "--clear" not in script


def test_images_are_pinned_to_a_release(model):
    built_here = {*APP_SERVICES, "createbucket"}  # imageapi:latest, built from Dockerfile
    for name, service in model["services"].items():
        image = service["image"]
        assert name in built_here or (":" in image and not image.endswith(":latest")), image


def test_the_s3_keys_give_the_app_only_its_bucket(model, production_env):
    import json

    identities = json.loads(model["configs"]["s3-identities"]["content"])["identities"]
    by_name = {i["name"]: i for i in identities}
    app = by_name["imageapi"]
    assert app["credentials"] == [
        {
            "accessKey": production_env["AWS_ACCESS_KEY_ID"],
            "secretKey": production_env["AWS_SECRET_ACCESS_KEY"],
        }
    ]
    assert sorted(app["actions"]) == ["List:images", "Read:images", "Write:images"]
    assert by_name["bucket-admin"]["actions"] == ["Admin:images"]


# --- nginx's settings ---------------------------------------------------------------------


@pytest.mark.parametrize("which", ["model", "tls_model"])
def test_nginx_gets_a_value_for_every_template_variable(request, which):
    nginx = request.getfixturevalue(which)["services"]["nginx"]
    templates = [*NGINX_TEMPLATES, *([NGINX_TLS_TEMPLATE] if which == "tls_model" else [])]
    needed = {n for t in templates for n in re.findall(r"\$\{(\w+)\}", t.read_text())}
    environment = nginx["environment"]
    assert needed - set(environment) == set()
    allowed = re.compile(environment["NGINX_ENVSUBST_FILTER"])
    assert {n for n in needed if not allowed.search(n)} == set()
    # nginx's own variables are never filled in by the image's envsubst.
    assert not any(allowed.search(n) for n in ("host", "uri", "scheme", "HOSTNAME", "PATH"))


def test_nginx_takes_uploads_the_app_accepts(model):
    from django.conf import settings

    size = model["services"]["nginx"]["environment"]["CLIENT_MAX_BODY_SIZE"]
    assert size.endswith("m")
    assert int(size[:-1]) * 1024 * 1024 > settings.MAX_UPLOAD_BYTES + 64 * 1024
