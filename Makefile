# Image API — everyday commands. `make run` serves it, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# One process: the embedded mode's local-memory cache (per-user API cache, throttles) is
# per process. Threads serve requests concurrently; Pillow releases the GIL while it
# decodes and resizes. The server is waitress (imageapi/serve.py): slow clients hold a
# socket, never a thread. More processes: the scaled-out setup (gunicorn behind nginx).
WEB_THREADS ?= 4
# Two `make run` at once in one checkout take turns at migrate and collectstatic.
SETUP_LOCK := $(VENV)/.run-setup.lock

.PHONY: install run worker test test-postgres test-services lint format bench lock clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test tools

run: $(STAMP) ## Migrate, bootstrap and serve on HOST:PORT with the embedded defaults
	flock $(SETUP_LOCK) sh -ec '$(BIN)/python manage.py migrate --no-input; \
		$(BIN)/python manage.py bootstrap; \
		$(BIN)/python manage.py collectstatic --no-input --verbosity 0'
	HOST=$(HOST) PORT=$(PORT) WEB_THREADS=$(WEB_THREADS) $(BIN)/python -m imageapi.serve

worker: $(STAMP) ## Run a Celery worker with the same environment as `make run`
	$(BIN)/celery -A imageapi worker --loglevel INFO --concurrency $${WORKER_CONCURRENCY:-2}

test: $(STAMP) ## The suite (SQLite, or the database DATABASE_URL names); no extra servers
	$(BIN)/pytest -m "not services"

test-postgres: $(STAMP) ## The suite on a throwaway PostgreSQL database
	scripts/with-postgres $(BIN)/pytest -m "not services"

# The API suite with STORAGE=s3 and the Redis cache (work in-process: those tests look
# at thumbnails right after an upload), then tests/services/ with the broker set and a
# real Celery worker, gunicorn processes and nginx. scripts/with-services starts an S3
# server (moto) and a Redis server on free loopback ports and stops them afterwards.
test-services: $(STAMP) ## The suite on PostgreSQL, Redis and S3, then the scale-out tests (real worker, nginx)
	scripts/with-postgres scripts/with-services bash -c '\
		env -u CELERY_BROKER_URL $(BIN)/pytest -m "not services" --ignore=tests/processing; \
		suite=$$?; $(BIN)/pytest -m services; services=$$?; \
		exit $$(( suite ? suite : services ))'

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	@touch $@

bench: $(VENV)/.bench-installed ## Thumbnail speed and memory vs naive Pillow and libvips, upload latency
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

lock: ## Re-pin constraints.txt from a fresh resolve of pyproject.toml
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[test,bench]"
	{ echo "# Pinned versions of every dependency (runtime, test and bench extras) for reproducible installs."; \
	  echo "# Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^imageapi'; } > constraints.txt
	rm -rf .lock-venv
