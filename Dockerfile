# syntax=docker/dockerfile:1
# The image API: one image for the web (gunicorn), the worker (celery) and one-off
# jobs (migrate). Two stages: dependencies are built into a virtualenv, which the
# slim runtime stage copies; the app runs as an unprivileged user.

ARG PYTHON_VERSION=3.11

# --- build: the runtime dependencies, pinned by constraints.txt -----------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ARG PIP_VERSION=26.3
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt ./
# Only [project].dependencies: no test or bench extras in the image.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(deps))" > requirements.txt \
 && pip install "pip==${PIP_VERSION}" \
 && pip install -c constraints.txt -r requirements.txt

# --- runtime ------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/app/data \
    STATIC_ROOT=/app/staticfiles
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# The code stays owned by root: the app user can read it, not change it.
COPY manage.py ./
COPY imageapi ./imageapi
COPY accounts ./accounts
COPY images ./images
# The healthcheck and the bucket job (docker-compose.yml); standard library and boto3.
COPY deploy/healthcheck.py deploy/ensure_bucket.py ./deploy/
# Static files are collected at build time (the manifest WhiteNoise needs); compose
# collects them again into the volume nginx serves. Only data/ and staticfiles/ are
# writable by the app user.
RUN mkdir -p /app/data /app/staticfiles \
 && SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input --verbosity 0 \
 && chown -R app:app /app/data /app/staticfiles
USER app
EXPOSE 8000
STOPSIGNAL SIGTERM
CMD ["gunicorn", "imageapi.wsgi:application", "--bind", "0.0.0.0:8000", \
     "--workers", "3", "--graceful-timeout", "25", "--access-logfile", "-", \
     "--no-control-socket"]
