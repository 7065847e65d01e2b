# Two commands do everything on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-postgres test-postgres-records test-postgres-auth-webhooks test-postgres-rest test-stateful test-sqlite test-client lint format openapi migrate clean bench chromium scale-check

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is required (set PYTHON=...)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Installs into the virtualenv with uv (from PyPI, into the virtualenv itself): the same
# packages as pip, in a third of the time (64 s against 174 s for `.[dev]` on 2 busy cores).
# Where uv cannot be had or fails, pip does it, as before. INSTALLER=pip forces pip.
INSTALLER ?= uv
# $(call install,<what>,<options of both>): `make run` shows the progress, `make test` does not.
define install
	@if [ "$(INSTALLER)" = uv ] && { [ -x $(BIN)/uv ] || $(BIN)/python -m pip install $(2) uv; } && \
		$(BIN)/uv pip install $(2) --python $(BIN)/python --compile-bytecode $(1); then :; else \
		[ "$(INSTALLER)" != uv ] || echo "==> uv unavailable or failed: installing with pip" >&2; \
		$(BIN)/python -m pip install $(2) --upgrade pip && $(BIN)/python -m pip install $(2) $(1); fi
endef

# Shown, not quiet: the first `make run` downloads and builds for a minute or more.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "==> installing dmi-api and its dependencies into $(VENV) (the first time: a minute or two)"
	$(call install,-e .)
	@echo "==> installed"
	touch $@

# The Python client (clients/python) goes into the same virtualenv: its tests serve this API.
CLIENT := clients/python

$(DEV_STAMP): pyproject.toml $(CLIENT)/pyproject.toml | $(VENV)/bin/python
	$(call install,-e '.[dev]' -e '$(CLIENT)[dev]',--quiet)
	touch $@ $(RUN_STAMP)

## Serve the API (embedded SQLite file unless DMI_DATABASE_URL says otherwise).
run: $(RUN_STAMP)
	$(BIN)/dmi-api serve

## The whole suite on PostgreSQL, the portable tests that use a database on SQLite (a test that
## uses none runs once: tests/conftest.py), the Python client's tests (against a served app of
## their own), and lint, side by side (each part's output is printed whole when it ends; any
## failure fails `make test`). The PostgreSQL suite runs as three processes (the records API's
## tests; authentication, tenancy, security, the browser and webhooks; the rest), and the long
## stateful schemathesis run beside them (each pytest run makes its own database), so that both
## cores stay busy to the end. The tests marked `own_database` (the embedded default's CLI and server:
## they bring their own database, whatever the run's backend) run once, beside the records tests.
STATEFUL := tests/test_schemathesis_stateful.py
OWN_DATABASE := tests/test_cli_admin.py tests/test_serve.py
PG_RECORDS := tests/records tests/fhir tests/exports $(OWN_DATABASE)
PG_AUTH_WEBHOOKS := tests/auth tests/security tests/browser tests/webhooks

LANES := test-stateful test-postgres-records test-postgres-auth-webhooks test-postgres-rest \
	test-sqlite test-client lint

# The install and Chromium side by side, then every lane at once (a job slot each: with one slot
# short, or a lane waiting on a prerequisite's job, GNU make 4.3 starts that lane only when
# another one ends, minutes late).
test:
	$(MAKE) --no-print-directory -j2 $(DEV_STAMP) chromium
	@# Our own modules compiled once: installed editable, each process (every lane, every served
	@# app or CLI the tests start) would compile them again where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q src migrations $(CLIENT)/src
	$(MAKE) --no-print-directory -j$(words $(LANES)) --output-sync=target $(LANES)

test-postgres: test-postgres-records test-postgres-auth-webhooks test-postgres-rest

test-postgres-records: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PG_RECORDS)

# Chromium checked in the recipe, not as a prerequisite (see `test`).
test-postgres-auth-webhooks: $(DEV_STAMP)
	@$(MAKE) --no-print-directory chromium
	$(BIN)/python -m pytest $(PG_AUTH_WEBHOOKS)

test-postgres-rest: $(DEV_STAMP)
	$(BIN)/python -m pytest --ignore=$(STATEFUL) \
		$(addprefix --ignore=,$(PG_RECORDS) $(PG_AUTH_WEBHOOKS))

## The browser test of /docs (tests/browser) drives the system Chromium: installed from Debian's
## packages when missing (as root or with sudo); DMI_SKIP_BROWSER=1 skips the test instead.
chromium:
	@[ "$(DMI_SKIP_BROWSER)" = 1 ] || command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "Chromium is missing and cannot be installed here (not root, no sudo):" \
			"install the chromium package, or set DMI_SKIP_BROWSER=1" >&2; exit 1; fi; \
		echo "Installing Chromium (Debian package) for the browser test..."; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
		{ $$sudo apt-get update -q && \
			$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; }

test-stateful: $(DEV_STAMP)
	$(BIN)/python -m pytest $(STATEFUL)

test-sqlite: $(DEV_STAMP)
	DMI_TEST_BACKEND=sqlite $(BIN)/python -m pytest -m "not postgres_only and not own_database"

## The Python client's suite: `dmi-api serve` and `dmi-api worker` on a throwaway PostgreSQL
## cluster of its own (tests/support/own_cluster.py says why), beside the other lanes.
test-client: $(DEV_STAMP)
	$(BIN)/python -m tests.support.own_cluster --cwd $(CLIENT) -- $(CURDIR)/$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests migrations bench $(CLIENT)
	$(BIN)/ruff format --check src tests migrations bench $(CLIENT)
	$(BIN)/mypy
	cd $(CLIENT) && $(CURDIR)/$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests migrations bench $(CLIENT)
	$(BIN)/ruff check --fix src tests migrations bench $(CLIENT)

openapi: $(RUN_STAMP)
	$(BIN)/dmi-api openapi

migrate: $(RUN_STAMP)
	$(BIN)/dmi-api migrate

## Load benchmark: the API against a raw asyncpg baseline on PostgreSQL, driven by wrk (installed
## with apt when missing). Knobs: BENCH_* variables, BENCH_ARGS="--compare-scale" (bench/README.md).
bench: $(RUN_STAMP)
	@command -v wrk >/dev/null 2>&1 || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get install -y wrk || { $$sudo apt-get update && $$sudo apt-get install -y wrk; }; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Scale-out on this machine (issue 18): two API replicas (two workers each) and two job workers
## behind HAProxy (installed from Debian's packages when missing, as root or with sudo), and what
## must hold across them; ~1.5 min, not part of `make test`. SCALE_ARGS="--checks export,...".
scale-check: $(RUN_STAMP)
	@command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || { \
		if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
		else echo "HAProxy is missing and cannot be installed here (not root, no sudo):" \
			"install the haproxy package" >&2; exit 1; fi; \
		echo "Installing HAProxy (Debian package) for the scale check..."; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy || \
		{ $$sudo apt-get update -q && \
			$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy; }; }
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dmi.db dmi.db-wal dmi.db-shm
