# Image API — everyday commands. `make run` serves it, `make test` checks it.
SHELL := /bin/bash
# The interpreter that makes .venv: the first of these that exists and is 3.11 or newer
# (pyproject's requires-python); `PYTHON=/path/to/python make run` picks another.
PYTHON_CANDIDATES := python3.11 python3.12 python3.13 python3
PYTHON ?= $(shell for p in $(PYTHON_CANDIDATES); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	>/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
TESTING := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
# The server is waitress (imageapi/serve.py): WEB_PROCESSES processes (default: one per
# core) share the listening socket and a diskcache in the data dir; each runs WEB_THREADS
# threads. Slow clients hold a socket, never a thread.
WEB_THREADS ?= 4
PIP := $(BIN)/python -m pip install --disable-pip-version-check --progress-bar off -c constraints.txt
# pip's output goes to .venv/pip.log; the terminal shows one line per package, and the
# end of the log if pip fails.
PIP_SHOW := 2>&1 | tee $(VENV)/pip.log | sed -un 's/^Collecting \([^ ;]*\).*/  - \1/p'
# Two `make run` at once in one checkout take turns at migrate and collectstatic.
SETUP_LOCK := $(VENV)/.run-setup.lock

.PHONY: install run worker test coverage typecheck test-readme test-postgres test-services test-browser lint format bench loadtest lock clean

# `make run` needs only the runtime dependencies; the test tools come with `make test`.
$(RUNTIME): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { \
		test -n "$(PYTHON)" || { echo "No Python 3.11 or newer found (tried $(PYTHON_CANDIDATES)); install one, or set PYTHON=/path/to/python3.x." >&2; exit 1; }; \
		echo "== Creating the virtualenv $(VENV) ($(PYTHON), $$($(PYTHON) -c 'import platform; print(platform.python_version())'))"; \
		$(PYTHON) -m venv $(VENV); }
	@echo "== Installing the runtime dependencies into $(VENV)"
	@set -o pipefail; $(PIP) -e . $(PIP_SHOW) || { tail -n 30 $(VENV)/pip.log; exit 1; }
	@touch $@

$(TESTING): $(RUNTIME)
	@echo "== Installing the test tools (pytest, moto, schemathesis, ruff) into $(VENV)"
	@set -o pipefail; $(PIP) -e ".[test]" $(PIP_SHOW) || { tail -n 30 $(VENV)/pip.log; exit 1; }
	@touch $@

install: $(TESTING) ## Create .venv and install the project with its test tools

run: $(RUNTIME) ## Migrate, bootstrap and serve on HOST:PORT with the embedded defaults
	@echo "== Preparing the database (migrate) and the built-in tiers and admin (bootstrap)"
	@flock $(SETUP_LOCK) sh -ec '$(BIN)/python manage.py migrate --no-input; \
		$(BIN)/python manage.py bootstrap; \
		$(BIN)/python manage.py collectstatic --no-input --verbosity 0'
	@echo "== Serving http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	@echo "   API docs  http://$(HOST):$(PORT)/api/docs/"
	@echo "   admin     http://$(HOST):$(PORT)/admin/  (user admin; its password is printed above on the first start)"
	@echo "   a user    $(BIN)/python manage.py create_user alice --password 'a-long-passphrase' --tier Enterprise"
	@HOST=$(HOST) PORT=$(PORT) WEB_THREADS=$(WEB_THREADS) $(BIN)/python -m imageapi.serve

worker: $(RUNTIME) ## Run a Celery worker with the same environment as `make run`
	$(BIN)/celery -A imageapi worker --loglevel INFO --concurrency $${WORKER_CONCURRENCY:-2}

test: $(TESTING) ## The suite (SQLite, or the database DATABASE_URL names); no extra servers
	$(BIN)/pytest -m "not scaleout and not readme and not browser"

coverage: $(TESTING) ## The suite on SQLite with a coverage report of the app packages
	$(BIN)/pytest -m "not scaleout and not readme and not browser" --cov --cov-report=term

typecheck: $(TESTING) ## mypy on the app packages (accounts, images, imageapi)
	$(BIN)/mypy

# Runs the README's `sh tested` blocks against a live `make run` on a free port, with
# its own DATA_DIR; see tests/readme/.
test-readme: $(TESTING) ## The README's examples, run against a live server
	$(BIN)/pytest -m readme

test-postgres: $(TESTING) ## The suite on a throwaway PostgreSQL database
	scripts/with-postgres $(BIN)/pytest -m "not scaleout and not readme and not browser"

# The API suite with STORAGE=s3 and the Redis cache (work in-process: those tests look
# at thumbnails right after an upload), then tests/scaleout/ with the broker set and a
# real Celery worker, gunicorn processes and nginx. scripts/with-services starts an S3
# server (moto) and a Redis server on free loopback ports and stops them afterwards.
test-services: $(TESTING) ## The suite on PostgreSQL, Redis and S3, then the scale-out tests (real worker, nginx)
	scripts/with-postgres scripts/with-services bash -c '\
		env -u CELERY_BROKER_URL $(BIN)/pytest -m "not scaleout and not readme and not browser" --ignore=tests/processing; \
		suite=$$?; $(BIN)/pytest -m scaleout; scaleout=$$?; \
		exit $$(( suite ? suite : scaleout ))'

$(VENV)/.browser-installed: $(TESTING)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,browser]"
	@touch $@

# Playwright drives the system's Chromium (CHROMIUM, default /usr/bin/chromium; on
# Debian: apt-get install chromium); it downloads no browser. Screenshots of every flow
# go to artifacts/browser/.
test-browser: $(VENV)/.browser-installed ## Browser flows in Chromium against a real server (docs, admin, CORS)
	$(BIN)/pytest -m browser tests/browser

$(VENV)/.bench-installed: $(TESTING)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	@touch $@

bench: $(VENV)/.bench-installed ## Thumbnail speed and memory vs Pillow thumbnail() and libvips, upload latency, API reads vs conventional DRF (orjson on both sides), both servers over HTTP
	$(BIN)/python -m bench

$(VENV)/.loadtest-installed: $(TESTING)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,loadtest]"
	@touch $@

# The soak: the scaled-out stack on loopback (a private PostgreSQL server, Redis and an S3
# server from scripts/with-services, 2 gunicorn workers behind deploy/nginx/, a Celery
# worker), Locust for LOADTEST_MINUTES with four faults injected once each, then the
# correctness checks (non-zero exit when one fails). See loadtest/ and the README.
LOADTEST_MINUTES ?= 15
loadtest: $(VENV)/.loadtest-installed ## Locust soak against the scaled-out stack with faults injected, then the checks
	PG_PRIVATE=1 scripts/with-postgres scripts/with-services \
		$(BIN)/python -m loadtest --minutes $(LOADTEST_MINUTES)

lint: $(TESTING) ## ruff (style, bugs, the complexity gate) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TESTING)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

lock: ## Re-pin constraints.txt from a fresh resolve of pyproject.toml
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[test,bench,loadtest]"
	{ echo "# Pinned versions of every dependency (runtime, test, bench and loadtest extras) for reproducible installs."; \
	  echo "# Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^imageapi'; } > constraints.txt
	rm -rf .lock-venv
