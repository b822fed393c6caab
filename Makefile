# Two commands matter: `make run` and `make test`. Both install whatever is missing first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Tests run on SQLite and on this PostgreSQL; set it empty to run on SQLite only.
TEST_POSTGRES_URL ?= postgresql://127.0.0.1:5432/test

export PATH := $(abspath $(BIN)):$(PATH)
export PUBLIC_BASE_URL ?= http://127.0.0.1:$(PORT)
export PORTAL_WEB_PORT := $(PORT)

CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
# The pages' CSS, script and icons, built from portal/assets/ and the npm packages (not committed).
STATIC_FILES := portal/static/dist/manifest.json

# Benchmarks run on this PostgreSQL (a schema each) and the machine's Redis (databases 12 and 13).
BENCH_POSTGRES_URL ?= $(TEST_POSTGRES_URL)
export BENCH_POSTGRES_URL

.PHONY: run test bench bench-smoke install static lighthouse system-packages-run system-packages-test system-packages-bench translations lint clean

# Development is opt-in: everything `make run` starts (web, worker, scheduler, commands) runs with it.
run: export PORTAL_ENV := development
run: install system-packages-run
	@mkdir -p instance/maildir/cur instance/maildir/new instance/maildir/tmp
	flask --app wsgi db upgrade
	@flask --app wsgi dev-staff
	@echo "Portal: http://127.0.0.1:$(PORT)/  (staff: http://127.0.0.1:$(PORT)/admin/, caught mail: /admin/dev/mail)"
	@echo "Ctrl-C stops everything."
	honcho -f Procfile.dev start web worker scheduler $(if $(REDIS_URL),,redis) $(if $(MAIL_SERVER),,mail)

test: install system-packages-test
	ruff check portal jobs tests bench wsgi.py
	lint-imports
	TEST_POSTGRES_URL="$(TEST_POSTGRES_URL)" pytest $(PYTEST_ARGS)

# Not part of `make test` (slow; figures, not pass/fail): every benchmark, one table. See README.
# BENCH_ARGS="--profile" also profiles a worker; "--only burst" runs one benchmark.
bench: install $(VENV)/.bench-installed system-packages-bench
	python -m bench $(BENCH_ARGS)

# The same harness with tiny sizes (tests/bench runs it in `make test`, so it never rots).
bench-smoke: install system-packages-bench
	python -m bench --smoke $(BENCH_ARGS)

install: $(VENV)/.installed $(STATIC_FILES) $(CATALOGS)

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,test]'
	@touch $@

# py-spy, for `make bench BENCH_ARGS=--profile` only.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# USWDS compiled by Sass with the portal's settings and only the components the pages use, then
# bundled, minified, fingerprinted and precompressed by esbuild and zlib (portal/assets/build.mjs).
static: $(STATIC_FILES)

$(STATIC_FILES): $(wildcard portal/assets/*) node_modules/.package-lock.json
	node portal/assets/build.mjs

# Lighthouse (mobile) on the main public pages, over gunicorn; slow, so not part of `make test`.
lighthouse: install
	$(BIN)/python bench/lighthouse.py

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

# After changing user-facing text: extract, merge into es, translate, then commit the .po.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Debian packages: installed with apt-get when missing (needs root, as on CI).
define need
	@command -v $(1) >/dev/null 2>&1 || { \
	  echo "Installing Debian package $(2)…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) >/dev/null ) \
	  || { echo "Could not install $(2). Install it (apt-get install $(2)) and run make again."; exit 1; }; }
endef

system-packages-run:
	$(if $(REDIS_URL),,$(call need,redis-server,redis-server))

system-packages-test:
	$(call need,redis-server,redis-server)
	$(call need,chromium,chromium)
	$(call need,wrk,wrk)

system-packages-bench:
	$(call need,redis-server,redis-server)
	$(call need,wrk,wrk)

clean:
	rm -rf $(VENV) node_modules portal/static/dist $(CATALOGS)
