"""deploy/kubernetes/: both overlays render, follow the API schemas, and keep their promises.

No cluster runs here. `kubectl kustomize` renders each overlay exactly as `kubectl apply
-k` would; every object is validated against the OpenAPI schemas of a current
Kubernetes release (kubernetes-validate ships them), the KEDA ScaledObject against
KEDA's CRD schema (tests/deploy/schemas/). The rest are the deployment's invariants;
each check that lists problems also runs on a deliberately broken copy of the rendered
objects (the `..._catches_...` tests), so none of them can pass vacuously.
"""

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.kubernetes import (
    APP_IMAGE,
    KUBERNETES_DIR,
    OVERLAYS,
    all_containers,
    config_map,
    containers,
    env_example_secrets,
    find,
    kubectl,
    kustomize,
    literal_env,
    pod_labels,
    pod_spec,
    quantity_bytes,
    quantity_cores,
    reads_config_map,
    secret_refs,
    secret_template,
    workloads,
)
from tests.deploy.stack import ENV_EXAMPLE, ROOT, parse_env_file

# The newest Kubernetes release whose schemas the pinned kubernetes-validate ships.
KUBERNETES_VERSION = "1.37"
KEDA_SCHEMA = Path(__file__).parent / "schemas" / "keda-scaledobject-v1alpha1.yaml"

pytestmark = pytest.mark.skipif(
    kubectl() is None,
    reason="kubectl is not installed: the Kubernetes manifests cannot be rendered here "
    "(any kubectl since 1.27 renders them with its built-in Kustomize)",
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {overlay: kustomize(KUBERNETES_DIR / overlay) for overlay in OVERLAYS}


@pytest.fixture(params=OVERLAYS)
def overlay(request) -> str:
    return request.param


@pytest.fixture
def objects(rendered, overlay) -> list[dict]:
    """A deep copy: tests that break objects never touch another test's."""
    return copy.deepcopy(rendered[overlay])


def name_of(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


# --- Schemas ----------------------------------------------------------------------------


def keda_validator() -> jsonschema.Draft7Validator:
    """KEDA's schema, with unknown fields refused as `kubectl apply` does by default.

    Kubernetes checks custom resources with strict field validation: a field the CRD
    does not declare is an error, so every object schema here forbids other properties.
    """
    schema = yaml.safe_load(KEDA_SCHEMA.read_text())

    def close(node: dict) -> None:
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for child in node.get("properties", {}).values():
            close(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                close(node[key])

    close(schema)
    schema["properties"]["metadata"] = {"type": "object"}
    return jsonschema.Draft7Validator(schema)


def schema_errors(objects: list[dict]) -> list[str]:
    errors = []
    keda = keda_validator()
    for obj in objects:
        if obj["apiVersion"] == "keda.sh/v1alpha1" and obj["kind"] == "ScaledObject":
            problems = [f"{list(e.absolute_path)}: {e.message}" for e in keda.iter_errors(obj)]
        else:
            try:
                kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
                problems = []
            except kubernetes_validate.ValidationError as exc:
                problems = [f"{list(exc.absolute_path)}: {exc.message}"]
            except kubernetes_validate.utils.SchemaNotFoundError as exc:
                problems = [exc.message]
        errors += [f"{name_of(obj)} {problem}" for problem in problems]
    return errors


def test_the_schemas_are_those_of_a_current_release():
    assert kubernetes_validate.latest_version().startswith(KUBERNETES_VERSION)


def test_every_object_follows_the_kubernetes_and_keda_schemas(objects):
    assert len(objects) >= 14
    assert schema_errors(objects) == []


def test_the_schema_check_catches_broken_objects(rendered):
    objects = copy.deepcopy(rendered["production"])
    find(objects, "Deployment", "imageapi-web")["spec"]["replica"] = 2  # unknown field
    web = find(objects, "Deployment", "imageapi-web")
    web["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8000"
    scaled = find(objects, "ScaledObject", "imageapi-worker")
    scaled["spec"]["minReplicas"] = 1  # KEDA calls it minReplicaCount
    scaled["spec"]["triggers"][0]["metadata"]["listLength"] = 10  # must be a string
    objects.append({"apiVersion": "example.com/v1", "kind": "Unknown", "metadata": {"name": "x"}})
    errors = schema_errors(objects)
    assert len(errors) == 4, errors  # one per object (kubernetes-validate stops at one)
    assert any("minReplicas" in e for e in errors)
    assert any("Unknown" in e for e in errors)


# --- Every container ----------------------------------------------------------------------


def hardening_problems(objects: list[dict]) -> list[str]:
    """Containers that may run as root, write their image, keep capabilities or escalate."""
    problems = []
    for where, obj, container in all_containers(objects):
        pod = pod_spec(obj).get("securityContext", {})
        ctx = container.get("securityContext", {})
        if not ctx.get("runAsNonRoot", pod.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot")
        if ctx.get("runAsUser", pod.get("runAsUser")) == 0:
            problems.append(f"{where}: runAsUser 0")
        if ctx.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation")
        if "ALL" not in ctx.get("capabilities", {}).get("drop", []):
            problems.append(f"{where}: capabilities.drop ALL")
        if ctx.get("capabilities", {}).get("add"):
            problems.append(f"{where}: capabilities.add")
    return problems


def test_every_container_runs_unprivileged_on_a_read_only_image(objects):
    assert hardening_problems(objects) == []


def test_the_hardening_check_catches_a_weakened_container(rendered):
    objects = copy.deepcopy(rendered["trial"])
    web = find(objects, "Deployment", "imageapi-web")
    web["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {}
    redis = find(objects, "StatefulSet", "redis")
    redis["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = False
    redis["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = False
    assert sorted(hardening_problems(objects)) == [
        "Deployment/imageapi-web:web: allowPrivilegeEscalation",
        "Deployment/imageapi-web:web: capabilities.drop ALL",
        "Deployment/imageapi-web:web: readOnlyRootFilesystem",
        "StatefulSet/redis:redis: runAsNonRoot",
    ]


def test_writable_paths_are_volumes_the_processes_need(rendered):
    web = find(rendered["production"], "Deployment", "imageapi-web")
    (container,) = containers(web, init=False)
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert mounts == {"/tmp", "/run/prometheus"}
    env = literal_env(container)
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/run/prometheus"
    # The multiprocess files of a restarted container are cleared before gunicorn starts.
    assert 'rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db; exec gunicorn' in container["command"][-1]
    volumes = {v["name"]: v for v in pod_spec(web)["volumes"]}
    assert all("emptyDir" in v for v in volumes.values())


def resource_problems(objects: list[dict]) -> list[str]:
    problems = []
    for where, _, container in all_containers(objects):
        resources = container.get("resources", {})
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in resources.get(kind, {}):
                    problems.append(f"{where}: no {kind}.{resource}")
        requests, limits = resources.get("requests", {}), resources.get("limits", {})
        for resource, amount in (("memory", quantity_bytes), ("cpu", quantity_cores)):
            both = resource in requests and resource in limits
            if both and amount(requests[resource]) > amount(limits[resource]):
                problems.append(f"{where}: {resource} request above its limit")
    return problems


def test_every_container_has_resource_requests_and_limits(objects):
    assert resource_problems(objects) == []


def test_the_resource_check_catches_a_missing_limit(rendered):
    objects = copy.deepcopy(rendered["production"])
    worker = find(objects, "Deployment", "imageapi-worker")
    del pod_spec(worker)["initContainers"][0]["resources"]["limits"]
    pod_spec(worker)["containers"][0]["resources"]["requests"]["memory"] = "2Gi"
    assert resource_problems(objects) == [
        "Deployment/imageapi-worker:wait-for-migrations: no limits.cpu",
        "Deployment/imageapi-worker:wait-for-migrations: no limits.memory",
        "Deployment/imageapi-worker:worker: memory request above its limit",
    ]


# From `make bench` (README, "Performance") and how the processes decode: a process with
# the app loaded holds about 105 MiB (its VmRSS, measured the way the bench measures);
# one decode adds at most 203 MB measured (a 50 MP RGBA PNG), and MAX_DECODE_BYTES caps
# the estimate of any decode the app accepts. Each gunicorn sync process and each Celery
# prefork child decodes one image at a time.
APP_PROCESS_BYTES = 105 * 2**20


def memory_problems(objects: list[dict]) -> list[str]:
    from django.conf import settings

    decode = settings.MAX_DECODE_BYTES
    config = config_map(objects)
    problems = []
    for name, concurrency, parents in (
        ("imageapi-web", "WEB_CONCURRENCY", 0),  # the gunicorn master holds no app
        ("imageapi-worker", "WORKER_CONCURRENCY", 1),  # the Celery parent does
    ):
        processes = int(config[concurrency])
        (container,) = containers(find(objects, "Deployment", name), init=False)
        limit = quantity_bytes(container["resources"]["limits"]["memory"])
        needed = (processes + parents) * APP_PROCESS_BYTES + processes * decode
        if limit < needed:
            problems.append(f"{name}: limit {limit >> 20} MiB < {needed >> 20} MiB")
    return problems


def test_memory_limits_hold_the_worst_decode_in_every_process(objects):
    assert memory_problems(objects) == []


def test_the_memory_check_follows_the_concurrency(rendered):
    objects = copy.deepcopy(rendered["production"])
    next(o for o in objects if o["kind"] == "ConfigMap")["data"]["WEB_CONCURRENCY"] = "4"
    assert memory_problems(objects) == ["imageapi-web: limit 768 MiB < 1444 MiB"]


def image_problems(objects: list[dict]) -> list[str]:
    problems = []
    for where, _, container in all_containers(objects):
        image = container["image"]
        if "@sha256:" in image:
            continue
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        if not tag or tag == "latest":
            problems.append(f"{where}: {image}")
    return problems


def test_every_image_is_pinned_to_a_release_or_digest(objects):
    assert image_problems(objects) == []
    app_images = {c["image"] for _, _, c in all_containers(objects) if APP_IMAGE.match(c["image"])}
    assert len(app_images) == 1, "web, worker and the jobs run one release"


def test_the_image_check_catches_latest_and_untagged(rendered):
    objects = copy.deepcopy(rendered["trial"])
    pod_spec(find(objects, "StatefulSet", "redis"))["containers"][0]["image"] = "redis:latest"
    pod_spec(find(objects, "Job", "imageapi-bucket"))["containers"][0]["image"] = "imageapi"
    pinned = "registry.example.com:5000/imageapi@sha256:" + "0" * 64
    pod_spec(find(objects, "Job", "imageapi-migrate"))["containers"][0]["image"] = pinned
    assert sorted(image_problems(objects)) == [
        "Job/imageapi-bucket:bucket: imageapi",
        "StatefulSet/redis:redis: redis:latest",
    ]


# --- Probes and stopping ------------------------------------------------------------------


def long_running(objects: list[dict]) -> list[dict]:
    return [o for o in objects if o["kind"] in {"Deployment", "StatefulSet"}]


def probe_problems(objects: list[dict]) -> list[str]:
    """Long-running containers without startup, liveness and readiness probes.

    Jobs run to completion and init containers before the pod starts: no probes.
    """
    problems = []
    for obj in long_running(objects):
        for container in containers(obj, init=False):
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if probe not in container:
                    problems.append(f"{name_of(obj)}:{container['name']}: {probe}")
    return problems


def test_every_long_running_container_has_its_probes(objects):
    assert len(long_running(objects)) >= 2
    assert probe_problems(objects) == []


def test_the_probe_check_catches_a_missing_probe(rendered):
    objects = copy.deepcopy(rendered["trial"])
    del pod_spec(find(objects, "StatefulSet", "postgres"))["containers"][0]["readinessProbe"]
    assert probe_problems(objects) == ["StatefulSet/postgres:postgres: readinessProbe"]


def test_web_is_alive_on_healthz_and_ready_on_readyz_as_an_allowed_host(objects):
    (web,) = containers(find(objects, "Deployment", "imageapi-web"), init=False)
    allowed = config_map(objects)["ALLOWED_HOSTS"].split(",")
    paths = {}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = web[probe]["httpGet"]
        paths[probe] = get["path"]
        # Django answers 400 to a Host outside ALLOWED_HOSTS: the probe must send one.
        (host,) = [h["value"] for h in get["httpHeaders"] if h["name"] == "Host"]
        assert host in allowed, (probe, host, allowed)
    assert paths == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }


def test_the_probes_reach_the_app_as_its_urls_route_them():
    from django.urls import resolve

    assert resolve("/healthz").url_name == "healthz"
    assert resolve("/readyz").url_name == "readyz"


def test_workers_are_probed_by_a_ping_to_themselves(objects):
    (worker,) = containers(find(objects, "Deployment", "imageapi-worker"), init=False)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        command = worker[probe]["exec"]["command"][-1]
        assert 'inspect ping --destination "celery@$HOSTNAME"' in command
        assert worker[probe].get("timeoutSeconds", 1) > 10  # the ping's own --timeout


def gunicorn_option(container: dict, option: str) -> int:
    return int(re.search(rf"--{option}=(\d+)", container["command"][-1]).group(1))


def stop_problems(objects: list[dict]) -> list[str]:
    from django.conf import settings

    problems = []
    web = find(objects, "Deployment", "imageapi-web")
    (container,) = containers(web, init=False)
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    graceful = gunicorn_option(container, "graceful-timeout")
    grace = pod_spec(web)["terminationGracePeriodSeconds"]
    if grace <= pre_stop + graceful:
        problems.append(f"web: {grace} s <= preStop {pre_stop} s + graceful-timeout {graceful} s")
    worker = find(objects, "Deployment", "imageapi-worker")
    limit = int(config_map(objects).get("CELERY_TASK_TIME_LIMIT", settings.CELERY_TASK_TIME_LIMIT))
    grace = pod_spec(worker)["terminationGracePeriodSeconds"]
    if grace <= limit:
        problems.append(f"worker: {grace} s <= CELERY_TASK_TIME_LIMIT {limit} s")
    return problems


def test_pods_stop_only_after_requests_and_tasks_in_flight_end(objects):
    assert stop_problems(objects) == []


def test_the_stop_check_follows_the_task_time_limit(rendered):
    objects = copy.deepcopy(rendered["production"])
    next(o for o in objects if o["kind"] == "ConfigMap")["data"]["CELERY_TASK_TIME_LIMIT"] = "300"
    pod_spec(find(objects, "Deployment", "imageapi-web"))["terminationGracePeriodSeconds"] = 30
    assert stop_problems(objects) == [
        "web: 30 s <= preStop 5 s + graceful-timeout 25 s",
        "worker: 135 s <= CELERY_TASK_TIME_LIMIT 300 s",
    ]


# --- Migrations before new code -------------------------------------------------------------


def migration_problems(objects: list[dict]) -> list[str]:
    """How a release's code waits for its migrations.

    The migrate Job applies them; every web and worker pod first runs `migrate --check`
    with its own image until it passes, so new code never serves an older schema, and
    rolling updates keep every old pod until a new one is ready.
    """
    problems = []
    jobs = [
        c
        for o in objects
        if o["kind"] == "Job"
        for c in containers(o)
        if re.search(r"manage\.py migrate --no-input(?!.*--check)", " ".join(c["command"]))
    ]
    if len(jobs) != 1:
        problems.append(f"{len(jobs)} jobs run manage.py migrate")
    for name in ("imageapi-web", "imageapi-worker"):
        deployment = find(objects, "Deployment", name)
        (main,) = containers(deployment, init=False)
        inits = pod_spec(deployment).get("initContainers", [])
        waits = [c for c in inits if "manage.py migrate --check" in " ".join(c["command"])]
        if not waits:
            problems.append(f"{name}: no init container waits for the migrations")
            continue
        (wait,) = waits
        if not re.search(r"until python manage\.py migrate --check", wait["command"][-1]):
            problems.append(f"{name}: the init container does not wait (no loop)")
        if wait["image"] != main["image"] or (jobs and jobs[0]["image"] != main["image"]):
            problems.append(f"{name}: the migration check or job runs another image")
        database = {e["name"]: e for e in wait.get("env", []) if e["name"] == "DATABASE_URL"}
        if database != {e["name"]: e for e in main["env"] if e["name"] == "DATABASE_URL"}:
            problems.append(f"{name}: the migration check asks another database")
        if deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] != 0:
            problems.append(f"{name}: a rollout may stop old pods before new ones serve")
    return problems


def test_new_code_serves_only_after_its_migrations_are_applied(objects):
    assert migration_problems(objects) == []


def test_the_migration_check_catches_a_pod_that_does_not_wait(rendered):
    objects = copy.deepcopy(rendered["production"])
    del pod_spec(find(objects, "Deployment", "imageapi-worker"))["initContainers"]
    web = pod_spec(find(objects, "Deployment", "imageapi-web"))
    web["initContainers"][0]["image"] = "registry.example.com/imageapi:0.0.9"
    assert migration_problems(objects) == [
        "imageapi-web: the migration check or job runs another image",
        "imageapi-worker: no init container waits for the migrations",
    ]


def test_migrate_check_fails_while_migrations_are_pending(tmp_path):
    """What the init container waits on: a non-zero exit before the migrate Job ran."""
    (tmp_path / "db.sqlite3").touch()  # an empty database: nothing applied
    env = {
        "PATH": os.environ["PATH"],
        "ENV_FILE": "",
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "imageapi.settings",
        "DATA_DIR": str(tmp_path),
    }
    argv = [sys.executable, "manage.py", "migrate", "--check", "--no-input", "--verbosity", "0"]
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert result.returncode == 1, result.stderr[-2000:]
    assert b"Traceback" not in result.stderr


@pytest.mark.django_db
def test_migrate_check_passes_once_migrations_are_applied():
    """... and a clean exit on a migrated database (the test database is one)."""
    from django.core.management import call_command

    call_command("migrate", check_unapplied=True, interactive=False, verbosity=0)


# --- Settings and secrets --------------------------------------------------------------------

APP_SOURCES = [
    *sorted((ROOT / "imageapi" / "settings").glob("*.py")),
    ROOT / "accounts" / "management" / "commands" / "bootstrap.py",
]
ENV_READ = re.compile(
    r"""(?:env\.\w+|os\.environ\.get|os\.environ)\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
)


def settings_the_app_reads() -> set[str]:
    """Every variable the settings (and the bootstrap command) read from the environment."""
    names = set()
    for path in APP_SOURCES:
        if path.name != "test.py":
            names |= set(ENV_READ.findall(path.read_text()))
    return names - {"DJANGO_SETTINGS_MODULE"}  # set by wsgi.py and celery.py


# Names the processes read besides the settings: gunicorn's process count (it reads
# WEB_CONCURRENCY itself) and the worker's (its command line).
PROCESS_SETTINGS = {"WEB_CONCURRENCY", "WORKER_CONCURRENCY"}

# Env entries a manifest fixes (they win over the ConfigMap), and why.
FIXED_BY_MANIFESTS = {
    "PROMETHEUS_MULTIPROC_DIR": "web: the emptyDir its gunicorn processes share",
    "S3_ENDPOINT_URL": "bucket job: ensure_bucket.py's name for AWS_S3_ENDPOINT_URL",
    "DATABASE_URL": "trial: the postgres StatefulSet (its password from the Secret)",
    "CACHE_URL": "trial: the redis StatefulSet, database 0",
    "CELERY_BROKER_URL": "trial: the redis StatefulSet, database 1",
}


def test_the_app_reads_the_settings_the_readme_documents():
    names = settings_the_app_reads()
    assert len(names) >= 50
    assert {"SECRET_KEY", "DATABASE_URL", "MEDIA_DELIVERY", "DJANGO_SUPERUSER_PASSWORD"} <= names


def settable_problems(objects: list[dict]) -> list[str]:
    """App containers where a setting of the app cannot be set.

    A container that reads the ConfigMap (envFrom) takes any setting added to the
    overlay's settings.env, except names the manifest fixes with a value of its own.
    """
    problems = []
    for where, _, container in all_containers(objects):
        if not APP_IMAGE.match(container["image"]):
            continue
        if not reads_config_map(container):
            problems.append(f"{where}: does not read the settings ConfigMap")
        for name in literal_env(container):
            if name not in FIXED_BY_MANIFESTS:
                problems.append(f"{where}: fixes {name}")
    return problems


def test_every_setting_the_app_reads_is_settable(objects):
    assert settable_problems(objects) == []
    keys = set(config_map(objects))
    unknown = keys - settings_the_app_reads() - PROCESS_SETTINGS
    assert unknown == set(), "ConfigMap keys no process reads (a typo?)"


def test_the_settable_check_catches_a_fixed_setting(rendered):
    objects = copy.deepcopy(rendered["production"])
    (worker,) = containers(find(objects, "Deployment", "imageapi-worker"), init=False)
    worker["env"].append({"name": "LOG_LEVEL", "value": "DEBUG"})
    del worker["envFrom"]
    assert settable_problems(objects) == [
        "Deployment/imageapi-worker:worker: does not read the settings ConfigMap",
        "Deployment/imageapi-worker:worker: fixes LOG_LEVEL",
    ]


# Secrets besides those of .env.example: URLs with credentials in production, and
# secret settings of README "Configuration".
SECRET_NAMES = env_example_secrets() | {
    "DATABASE_URL",
    "CACHE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "REDIS_PASSWORD",
    "METRICS_TOKEN",
    "SECRET_KEY_FALLBACKS",
}
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]*:[^/\s@]+@")


def config_map_secret_problems(objects: list[dict]) -> list[str]:
    problems = []
    for obj in objects:
        if obj["kind"] != "ConfigMap":
            continue
        for key, value in obj.get("data", {}).items():
            if key in SECRET_NAMES or re.search(r"PASSWORD|SECRET|TOKEN", key):
                problems.append(f"{name_of(obj)}: {key} is a secret")
            if CREDENTIALS_IN_URL.search(value):
                problems.append(f"{name_of(obj)}: {key} holds credentials")
    return problems


def test_no_secret_is_in_a_config_map(objects):
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY"} <= SECRET_NAMES
    assert config_map_secret_problems(objects) == []


def test_the_config_map_check_catches_a_secret(rendered):
    objects = copy.deepcopy(rendered["trial"])
    data = next(o for o in objects if o["kind"] == "ConfigMap")["data"]
    data["AWS_SECRET_ACCESS_KEY"] = "x"
    data["DATABASE_URL"] = "postgres://images:hunter2@db/images"
    problems = config_map_secret_problems(objects)
    assert len(problems) == 3  # two secret names, one URL with a password
    assert all("imageapi-config" in p for p in problems)


def test_secrets_reach_containers_only_from_the_secret(objects):
    for where, _, container in all_containers(objects):
        literal = literal_env(container)
        for name in SECRET_NAMES & set(literal):
            # Credentials only by $(VAR) expansion from the Secret (trial's DATABASE_URL).
            value = re.sub(r"\$\([A-Z_]+\)", "", literal[name])
            assert not CREDENTIALS_IN_URL.search(value), where
        for ref in secret_refs(container).values():
            assert ref["name"] == "imageapi-secrets", where


def test_only_the_bucket_job_and_the_s3_server_hold_the_bucket_administrator_key(objects):
    holders = {
        where.split(":")[0]
        for where, _, container in all_containers(objects)
        if "S3_ADMIN_SECRET_KEY" in secret_refs(container)
    }
    assert holders <= {"Job/imageapi-bucket", "StatefulSet/seaweedfs"}
    assert "Job/imageapi-bucket" in holders


def test_the_secret_template_lists_exactly_the_keys_the_overlay_uses(rendered, overlay):
    used = {
        ref["key"]
        for _, _, container in all_containers(rendered[overlay])
        for ref in secret_refs(container).values()
    }
    template = secret_template(overlay)
    assert set(template) == used
    assert all(value == "" for value in template.values()), "the template holds no secret"


def test_the_trial_secrets_are_those_of_env_example_by_the_same_names():
    assert set(secret_template("trial")) == env_example_secrets()


# The names of .env.example that compose alone uses, and what stands for each here.
COMPOSE_ONLY = {
    "POSTGRES_DB": "trial: the postgres StatefulSet's database, images",
    "POSTGRES_USER": "trial: the postgres StatefulSet's user, images",
    "HTTP_BIND": "the Ingress",
    "HTTP_PORT": "the Ingress",
    "TRUSTED_PROXY": "ingress-nginx sets X-Forwarded-Proto itself",
    "HTTPS_ONLY": "the Ingress's ssl-redirect",
    "CLIENT_MAX_BODY_SIZE": "the Ingress's proxy-body-size",
    "REDIS_MAXMEMORY": "trial: the redis StatefulSet's --maxmemory",
}


def test_every_name_of_env_example_has_its_place(rendered):
    """One list of settings: each name is in the ConfigMap, in the Secret, or compose's own."""
    names = set(parse_env_file(ENV_EXAMPLE))
    config = set(config_map(rendered["trial"])) | set(config_map(rendered["production"]))
    secrets = set(secret_template("trial"))
    assert names - config - secrets - set(COMPOSE_ONLY) == set()
    assert set(COMPOSE_ONLY) <= names, "a stale entry"
    assert not config & secrets


def test_what_compose_sets_by_env_example_the_manifests_set_alike(rendered):
    defaults = parse_env_file(ENV_EXAMPLE)
    for overlay in OVERLAYS:
        ingress = find(rendered[overlay], "Ingress", "imageapi")
        size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert size == defaults["CLIENT_MAX_BODY_SIZE"]
    (redis,) = containers(find(rendered["trial"], "StatefulSet", "redis"))
    assert redis["args"][redis["args"].index("--maxmemory") + 1] == defaults["REDIS_MAXMEMORY"]
    (postgres,) = containers(find(rendered["trial"], "StatefulSet", "postgres"))
    env = literal_env(postgres)
    assert (env["POSTGRES_DB"], env["POSTGRES_USER"]) == (
        defaults["POSTGRES_DB"],
        defaults["POSTGRES_USER"],
    )
    (web,) = containers(find(rendered["trial"], "Deployment", "imageapi-web"), init=False)
    user, db = defaults["POSTGRES_USER"], defaults["POSTGRES_DB"]
    assert (
        literal_env(web)["DATABASE_URL"]
        == f"postgres://{user}:$(POSTGRES_PASSWORD)@postgres:5432/{db}"
    )


def test_the_settings_files_use_the_apps_names_and_load(rendered, overlay, tmp_path):
    """The ConfigMap plus the Secret's keys (made-up values) make settings Django accepts."""
    config = config_map(rendered[overlay])
    env_example = set(parse_env_file(ENV_EXAMPLE))
    assert {"ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "NUM_PROXIES"} <= set(config) & env_example
    secrets = {key: "made-up" for key in secret_template(overlay)}
    secrets.update(
        SECRET_KEY="k" + "0123456789abcdefghij" * 3,
        DATABASE_URL="postgres://images:pw@db:5432/images",
        CACHE_URL="redis://redis:6379/0",
        CELERY_BROKER_URL="redis://redis:6379/1",
    )
    env = {
        "PATH": os.environ["PATH"],
        **config,
        **secrets,
        "ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "imageapi.settings",
        "DATA_DIR": str(tmp_path),
    }
    probe = (
        "import django; from django.conf import settings; django.setup();"
        "print(settings.STORAGE, settings.MEDIA_DELIVERY, settings.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    storage, delivery, debug = result.stdout.split()
    assert (storage, debug) == ("s3", "False")
    # Behind an Ingress: presigned redirects to a bucket clients reach (production), or
    # streamed by web from the in-cluster S3 server that clients cannot reach (trial).
    assert delivery == {"production": "redirect", "trial": "app"}[overlay]


# --- Scaling, disruptions, spreading -----------------------------------------------------


def autoscaler_problems(objects: list[dict]) -> list[str]:
    targets: dict[str, list[str]] = {}
    for obj in objects:
        if obj["kind"] in {"HorizontalPodAutoscaler", "ScaledObject"}:
            ref = obj["spec"]["scaleTargetRef"]
            targets.setdefault(ref["name"], []).append(name_of(obj))
    problems = []
    for name in ("imageapi-web", "imageapi-worker"):
        scalers = targets.get(name, [])
        if len(scalers) != 1:
            problems.append(f"{name}: {len(scalers)} autoscalers {sorted(scalers)}")
        if "replicas" in find(objects, "Deployment", name)["spec"]:
            problems.append(f"{name}: sets replicas, which its autoscaler owns")
    return problems


def test_web_and_worker_each_have_exactly_one_autoscaler(objects):
    assert autoscaler_problems(objects) == []


def test_web_scales_on_cpu_and_workers_on_the_queue_or_cpu(rendered):
    for overlay in OVERLAYS:
        web = find(rendered[overlay], "HorizontalPodAutoscaler", "imageapi-web")
        assert web["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert web["spec"]["minReplicas"] >= 2  # a drain or a crash leaves one serving
    keda = find(rendered["production"], "ScaledObject", "imageapi-worker")
    (trigger,) = keda["spec"]["triggers"]
    assert trigger["type"] == "redis"
    # Celery's queue: the list `celery` in the broker's database (/1, as in compose).
    assert trigger["metadata"]["listName"] == "celery"
    assert trigger["metadata"]["databaseIndex"] == "1"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["x-app"]["environment"]["CELERY_BROKER_URL"].endswith("/1")
    # KEDA reads the broker's address and password from the worker container's env.
    (worker,) = containers(find(rendered["production"], "Deployment", "imageapi-worker"), False)
    assert keda["spec"]["scaleTargetRef"]["envSourceContainerName"] == worker["name"]
    for key in ("addressFromEnv", "passwordFromEnv"):
        assert trigger["metadata"][key] in secret_refs(worker)
    cpu = find(rendered["trial"], "HorizontalPodAutoscaler", "imageapi-worker")
    assert cpu["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_both_worker_autoscalers_at_once_are_caught(tmp_path):
    both = tmp_path / "both"
    both.mkdir()
    base = os.path.relpath(KUBERNETES_DIR, both)
    (both / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": [f"{base}/base"],
                "components": [f"{base}/components/worker-keda", f"{base}/components/worker-cpu"],
            }
        )
    )
    assert autoscaler_problems(kustomize(both)) == [
        "imageapi-worker: 2 autoscalers "
        "['HorizontalPodAutoscaler/imageapi-worker', 'ScaledObject/imageapi-worker']"
    ]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def disruption_problems(objects: list[dict]) -> list[str]:
    """Deployments a drain could empty, or whose pods may pile onto one node or zone."""
    budgets = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
    problems = []
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        labels = pod_labels(deployment)
        if not [b for b in budgets if selects(b["spec"]["selector"], labels)]:
            problems.append(f"{name_of(deployment)}: no PodDisruptionBudget")
        spread = pod_spec(deployment).get("topologySpreadConstraints", [])
        keys = {c["topologyKey"] for c in spread if selects(c["labelSelector"], labels)}
        if keys != {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}:
            problems.append(f"{name_of(deployment)}: not spread over nodes and zones")
    return problems


def test_every_deployment_has_a_disruption_budget_and_spreads(objects):
    assert disruption_problems(objects) == []


def test_the_disruption_check_catches_a_missing_budget_and_spread(rendered):
    objects = copy.deepcopy(rendered["production"])
    objects.remove(find(objects, "PodDisruptionBudget", "imageapi-worker"))
    del pod_spec(find(objects, "Deployment", "imageapi-web"))["topologySpreadConstraints"][1]
    assert disruption_problems(objects) == [
        "Deployment/imageapi-web: not spread over nodes and zones",
        "Deployment/imageapi-worker: no PodDisruptionBudget",
    ]


# --- Network ---------------------------------------------------------------------------------

DATA_CLIENT = "imageapi.example.com/data-client"


def reachers(objects: list[dict], labels: dict) -> list[dict]:
    """The `from` peers of every policy that selects pods with these labels."""
    return [
        peer
        for p in objects
        if p["kind"] == "NetworkPolicy" and p["spec"]["podSelector"] != {}
        if selects(p["spec"]["podSelector"], labels)
        for rule in p["spec"].get("ingress", [])
        for peer in rule.get("from", [])
    ]


INGRESS_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}
APP_PODS = {"podSelector": {"matchLabels": {DATA_CLIENT: "true"}}}
DATA_CLIENTS = {
    "Deployment/imageapi-web",
    "Deployment/imageapi-worker",
    "Job/imageapi-migrate",
    "Job/imageapi-bucket",
    "CronJob/imageapi-flush-tokens",
    "CronJob/imageapi-webhook-sweep",
    "CronJob/imageapi-expire-uploads",
}


def network_problems(objects: list[dict]) -> list[str]:
    """Who may open a connection to whom, against what the deployment intends.

    Everything is denied unless a policy opens it; only the ingress controller reaches
    web; only the app's pods (web, worker, the jobs) reach the data services.
    """
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    problems = [] if len(deny) == 1 else ["no default-deny policy"]
    web = pod_labels(find(objects, "Deployment", "imageapi-web"))
    if reachers(objects, web) != [INGRESS_CONTROLLER]:
        problems.append(f"web is reached by {reachers(objects, web)}")
    clients = {name_of(o) for o in workloads(objects) if pod_labels(o).get(DATA_CLIENT) == "true"}
    if clients != DATA_CLIENTS:
        problems.append(f"data clients: {sorted(clients ^ DATA_CLIENTS)}")
    for service in (o for o in objects if o["kind"] == "StatefulSet"):
        peers = reachers(objects, pod_labels(service))
        if peers != [APP_PODS]:
            problems.append(f"{name_of(service)} is reached by {peers}")
    return problems


def test_only_the_ingress_reaches_web_and_only_the_app_the_data_services(objects):
    assert network_problems(objects) == []


def test_the_trial_data_services_are_behind_policies(rendered):
    services = [o for o in rendered["trial"] if o["kind"] == "StatefulSet"]
    assert {o["metadata"]["name"] for o in services} == {"postgres", "redis", "seaweedfs"}


def test_the_network_check_catches_open_doors(rendered):
    objects = copy.deepcopy(rendered["trial"])
    redis = find(objects, "NetworkPolicy", "redis-from-app")
    redis["spec"]["ingress"][0]["from"].append({"namespaceSelector": {}})
    web = find(objects, "NetworkPolicy", "imageapi-web-from-ingress")
    del web["spec"]["ingress"][0]["from"][0]["podSelector"]
    seaweedfs = find(objects, "StatefulSet", "seaweedfs")
    seaweedfs["spec"]["template"]["metadata"]["labels"][DATA_CLIENT] = "true"
    problems = network_problems(objects)
    assert len(problems) == 3, problems
    assert problems[1] == "data clients: ['StatefulSet/seaweedfs']"
    assert problems[2].startswith("StatefulSet/redis is reached by")


# --- Ingress ------------------------------------------------------------------------------------


def test_the_ingress_takes_uploads_and_waits_as_long_as_gunicorn(objects):
    from django.conf import settings

    ingress = find(objects, "Ingress", "imageapi")
    notes = ingress["metadata"]["annotations"]
    size = notes["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert size.endswith("m")
    assert int(size[:-1]) * 2**20 > settings.MAX_UPLOAD_BYTES + 64 * 1024
    (web,) = containers(find(objects, "Deployment", "imageapi-web"), init=False)
    timeout = gunicorn_option(web, "timeout")
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= timeout
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= timeout
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    service = find(objects, "Service", backend["name"])
    assert service["spec"]["ports"][0]["name"] == backend["port"]["name"]
    assert selects(
        {"matchLabels": service["spec"]["selector"]},
        pod_labels(find(objects, "Deployment", "imageapi-web")),
    )


def test_production_serves_its_host_over_https_with_a_certificate(rendered):
    objects = rendered["production"]
    ingress = find(objects, "Ingress", "imageapi")
    config = config_map(objects)
    host = ingress["spec"]["rules"][0]["host"]
    assert host == config["ALLOWED_HOSTS"].split(",")[0]
    assert ingress["spec"]["tls"] == [{"hosts": [host], "secretName": "imageapi-tls"}]
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    assert f"https://{host}" in config["CSRF_TRUSTED_ORIGINS"].split(",")


def test_the_trial_serves_localhost_over_plain_http(rendered):
    objects = rendered["trial"]
    ingress = find(objects, "Ingress", "imageapi")
    assert ingress["spec"]["rules"][0]["host"] == "localhost"
    assert "tls" not in ingress["spec"]
    assert config_map(objects)["CSRF_TRUSTED_ORIGINS"] == "http://localhost"
