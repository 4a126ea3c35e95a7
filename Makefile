# Image API — everyday commands. `make run` serves it, `make test` checks it.
SHELL := /bin/bash
PYTHON ?= python3.11
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

.PHONY: install run worker test coverage typecheck test-readme test-postgres test-services test-browser lint format bench lock clean

# `make run` needs only the runtime dependencies; the test tools come with `make test`.
$(RUNTIME): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { echo "== Creating the virtualenv $(VENV) ($(PYTHON))"; $(PYTHON) -m venv $(VENV); }
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
	flock $(SETUP_LOCK) sh -ec '$(BIN)/python manage.py migrate --no-input; \
		$(BIN)/python manage.py bootstrap; \
		$(BIN)/python manage.py collectstatic --no-input --verbosity 0'
	@echo "== Serving http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	@echo "   API docs  http://$(HOST):$(PORT)/api/docs/"
	@echo "   admin     http://$(HOST):$(PORT)/admin/  (user admin; its password is printed above on the first start)"
	@echo "   a user    $(BIN)/python manage.py create_user alice --password 'a-long-passphrase' --tier Enterprise"
	HOST=$(HOST) PORT=$(PORT) WEB_THREADS=$(WEB_THREADS) $(BIN)/python -m imageapi.serve

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
	.lock-venv/bin/pip install --quiet ".[test,bench]"
	{ echo "# Pinned versions of every dependency (runtime, test and bench extras) for reproducible installs."; \
	  echo "# Regenerate with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^imageapi'; } > constraints.txt
	rm -rf .lock-venv
