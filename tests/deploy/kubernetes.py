"""The Kubernetes manifests as the tests see them: rendered by kubectl's built-in Kustomize.

`kubectl kustomize` renders without a cluster, exactly as `kubectl apply -k` would send
the objects. Helpers here walk the rendered objects (pod templates, containers, env).
"""

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from tests.deploy.stack import ENV_EXAMPLE, ROOT, parse_env_file

KUBERNETES_DIR = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("production", "trial")
# The image built from the Dockerfile, before an overlay gives it a registry.
APP_IMAGE = re.compile(r"^(?:[\w.-]+(?::\d+)?/)*imageapi[:@]")


def kubectl() -> str | None:
    return shutil.which("kubectl")


def kustomize(folder: Path) -> list[dict]:
    """`kubectl kustomize folder`: the objects `kubectl apply -k folder` would apply."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def pod_spec(obj: dict) -> dict | None:
    """The pod template's spec of a workload (Deployment, StatefulSet, Job, CronJob)."""
    spec = obj.get("spec", {})
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template")
    return template["spec"] if template and "spec" in template else None


def pod_labels(obj: dict) -> dict:
    spec = obj["spec"]
    if obj["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"].get("labels", {})


def workloads(objects: list[dict]) -> Iterator[dict]:
    for obj in objects:
        if pod_spec(obj) is not None:
            yield obj


def containers(obj: dict, init: bool = True) -> list[dict]:
    spec = pod_spec(obj)
    return [*(spec.get("initContainers", []) if init else []), *spec["containers"]]


def all_containers(objects: list[dict]) -> Iterator[tuple[str, dict, dict]]:
    """(``Kind/name:container``, the workload, the container) for every container."""
    for obj in workloads(objects):
        for container in containers(obj):
            yield f"{obj['kind']}/{obj['metadata']['name']}:{container['name']}", obj, container


def find(objects: list[dict], kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def config_map(objects: list[dict]) -> dict[str, str]:
    """The app's settings: the data of the generated imageapi-config ConfigMap."""
    maps = [
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("imageapi-config")
    ]
    assert len(maps) == 1
    return maps[0]["data"]


def secret_template(overlay: str) -> dict[str, str]:
    """The keys of the overlay's Secret, from its secrets.env.example."""
    return parse_env_file(KUBERNETES_DIR / overlay / "secrets.env.example")


def env_example_secrets() -> set[str]:
    """The secrets of .env.example: the values it leaves empty for the user to fill in.

    The admin's e-mail is empty too, but is no secret.
    """
    return {
        name
        for name, value in parse_env_file(ENV_EXAMPLE).items()
        if value == "" and name != "DJANGO_SUPERUSER_EMAIL"
    }


def secret_refs(container: dict) -> dict[str, dict]:
    """Env names set from a Secret: name -> the secretKeyRef."""
    return {
        e["name"]: e["valueFrom"]["secretKeyRef"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


def literal_env(container: dict) -> dict[str, str]:
    """Env names the manifest fixes to a value (they win over the ConfigMap)."""
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def reads_config_map(container: dict) -> bool:
    return any(
        source.get("configMapRef", {}).get("name", "").startswith("imageapi-config")
        for source in container.get("envFrom", [])
    )


def quantity_bytes(quantity: str) -> int:
    """A memory quantity ("768Mi", "1Gi", "500M") in bytes."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    number, unit = re.fullmatch(r"(\d+)([KMG]i?)?", quantity).groups()
    return int(number) * units.get(unit, 1)


def quantity_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)
