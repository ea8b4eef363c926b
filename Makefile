# KennisCloud — two commands for a new user:
#   make run   install what is missing, build the frontend, migrate, load demo data, serve on :8000
#   make test  install what is missing and run every test (real PostgreSQL + Redis, browser tests)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
UV = $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite's services (override to use others). Redis db 9 is flushed by the tests.
TEST_DATABASE_URL ?= postgres://postgres:kenniscloud@127.0.0.1:5432/kenniscloud
TEST_REDIS_URL ?= redis://127.0.0.1:6379/9
E2E_DATABASE_URL ?= postgres://postgres:kenniscloud@127.0.0.1:5432/kenniscloud_e2e
E2E_REDIS_URL ?= redis://127.0.0.1:6379/8

.PHONY: help run test install backend-deps frontend-deps frontend messages migrate demo \
        test-services test-backend test-frontend test-e2e lint clean soak

help:
	@echo "make run    — set up and serve KennisCloud on http://$(HOST):$(PORT)"
	@echo "make test   — set up and run every test (PostgreSQL, Redis, Chromium)"
	@echo "make lint   — ruff and svelte-check"
	@echo "make soak   — long steady-load run (SOAK_MINUTES, default 30); results in docs/reliability.md"

# --- installation (each step only when its inputs changed) ----------------------------------------
$(TOOLS)/bin/uv:
	@py=$$(scripts/find-python.sh) && "$$py" -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q uv

$(VENV)/.synced: pyproject.toml uv.lock | $(if $(shell command -v uv 2>/dev/null),,$(TOOLS)/bin/uv)
	@if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  rm -rf $(VENV); $(UV) venv -q --python "$$(scripts/find-python.sh)" $(VENV); fi
	$(UV) sync -q --frozen
	@touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@scripts/ensure-tools.sh
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

backend-deps: $(VENV)/.synced
frontend-deps: frontend/node_modules/.installed
install: backend-deps frontend-deps messages

frontend: frontend-deps
	cd frontend && npm run build --silent

messages: backend-deps
	@scripts/ensure-tools.sh
	@$(PY) manage.py compilemessages -v0 --ignore=.venv --ignore=.tools --ignore=frontend

# --- run ----------------------------------------------------------------------------------------
migrate: backend-deps
	@mkdir -p var
	$(PY) manage.py migrate -v0

demo: migrate
	$(PY) manage.py load_demo

run: install frontend demo
	@echo ""
	@echo "KennisCloud runs on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	@echo "Database: $${DATABASE_URL:-SQLite var/db.sqlite3}   Channel layer: $${REDIS_URL:-in-memory}"
	@# Background tasks (link previews, suggestions, catalogue imports): with Redis a db_worker process
	@# next to the server, stopped with it; without, inside the server (the in-memory channel layer
	@# reaches no other process).
	@if [ -n "$${REDIS_URL:-}" ]; then \
	  $(PY) manage.py db_worker --interval 0.5 --no-reload -v0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/daphne -b $(HOST) -p $(PORT) backend.asgi:application; \
	else \
	  KENNISCLOUD_INPROCESS_WORKER=1 $(VENV)/bin/daphne -b $(HOST) -p $(PORT) backend.asgi:application; \
	fi

# --- tests --------------------------------------------------------------------------------------
test-services:
	@scripts/test-services.sh

test-backend: backend-deps messages test-services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  KENNISCLOUD_CHANNEL_PREFIX=kctest DJANGO_DEBUG=1 \
	  $(VENV)/bin/pytest -q -p no:cacheprovider

test-frontend: frontend-deps
	cd frontend && npm test --silent

test-e2e: frontend backend-deps messages test-services
	cd frontend && E2E_DATABASE_URL=$(E2E_DATABASE_URL) E2E_REDIS_URL=$(E2E_REDIS_URL) \
	  E2E_PYTHON=$(CURDIR)/$(PY) npm run e2e --silent

test: test-backend test-frontend test-e2e
	@echo "All tests passed."

# --- soak (not part of `make test`) ---------------------------------------------------------------
# Hours of steady load on the real app: memory, Redis keys, PostgreSQL connections, nothing lost.
# Own database kenniscloud_soak and Redis db 6 (both wiped). `make soak SOAK_MINUTES=480` before a
# release; SOAK_SOCKETS and SOAK_ARGS (more bench/soak.py options) for shorter trials.
SOAK_MINUTES ?= 30
SOAK_SOCKETS ?= 500
SOAK_ARGS ?=
soak: backend-deps
	$(PY) bench/soak.py --minutes $(SOAK_MINUTES) --sockets $(SOAK_SOCKETS) $(SOAK_ARGS)

# --- benchmarks (not part of `make test`; figures in docs/performance.md) ----------------------------
# History: keyset pages of 50 in groups of 10^3 … 10^6 messages at concurrency 1, 8 and 32 on one
# server process, then at concurrency 8 on two (one per core). Own database
# kenniscloud_bench_history and Redis db 12 (both wiped); seeding takes a few minutes.
# HISTORY_ARGS: more bench/history.py options (e.g. --reuse to keep the last seeded database).
HISTORY_ARGS ?=
# Live scenarios (bench/fanout.py): fan-out with the raw websockets.broadcast() and stock Channels
# references in the same run, slow consumer, reconnect storm, idle sockets, persisted sends; one
# daphne worker, and two for fan-out, sends and idle. Own database kenniscloud_bench_fanout and Redis
# db 13 (both wiped). The full grid takes the better part of an hour; `bench-fanout` is the fan-out
# scenario alone on the reduced grid (under three minutes). FANOUT_ARGS: more bench/fanout.py
# options (e.g. --members 500 --runs 5).
FANOUT_ARGS ?=
.PHONY: bench bench-history bench-fanout bench-fanout-core bench-live
bench: bench-history bench-live bench-fanout-core
bench-history: backend-deps
	$(PY) bench/history.py $(HISTORY_ARGS)
	$(PY) bench/history.py --reuse --workers 2 --concurrency 8 --scenarios history $(HISTORY_ARGS)
bench-live: backend-deps
	$(PY) bench/fanout.py --workers 1 2 --scale-out fanout sends idle $(FANOUT_ARGS)
bench-fanout: backend-deps
	$(PY) bench/fanout.py --scenario fanout --quick $(FANOUT_ARGS)
# The fan-out alone on one core: the senders use a second worker on the client's core.
bench-fanout-core: backend-deps
	$(PY) bench/fanout.py --scenario fanout --quick --members 1000 2000 --sender-process --profile $(FANOUT_ARGS)

lint: backend-deps frontend-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	cd frontend && npm run check --silent

clean:
	rm -rf var frontend/dist frontend/node_modules $(VENV) $(TOOLS)
