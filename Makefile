# The commands of the README: `make run`, `make test` and `make serve`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
DATABASE_URL ?=
# The database servers the suite also runs on; the environment may name others.
WEBAPP_TEST_POSTGRESQL_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
WEBAPP_TEST_MARIADB_URL ?= mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4
export WEBAPP_TEST_POSTGRESQL_URL WEBAPP_TEST_MARIADB_URL
PYTEST := $(BIN)/python -m pytest -W error
# On a server: the integration suite and the browser tests of database rules.
SERVER_SUITE := tests/integration $(wildcard tests/e2e) -m "not e2e or database_rules"

.PHONY: run install install-test install-serve chromium test serve bench bench-compare bench-instructions bench-turns bench-servers

## Install the app and serve it on http://127.0.0.1:5000 with the demo SQLite database.
run: install
	$(BIN)/flask --app webapp run --host $(HOST) --port $(PORT)

install: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

## Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

## Install everything the tests need and run the whole suite on SQLite, then on PostgreSQL and MariaDB.
## Under CI a stopped local database server is started, and one that cannot be reached fails the run.
test: install-test chromium
	$(PYTEST)
	@if [ -n "$$CI" ]; then $(BIN)/python scripts/database_servers.py; fi
	$(PYTEST) $(SERVER_SUITE) --db postgresql
	$(PYTEST) $(SERVER_SUITE) --db mariadb

## Serve with gunicorn on any database: make serve WORKERS=4 DATABASE_URL=postgresql+psycopg://…
serve: install-serve
	DATABASE_URL='$(DATABASE_URL)' WORKERS='$(WORKERS)' HOST='$(HOST)' PORT='$(PORT)' VENV='$(VENV)' scripts/serve

install-serve: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[serve,postgresql,mysql]"

## Measure the list pages under gunicorn at 100,000 and 1,000,000 expenses (see README, Performance).
bench: $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[serve]"
	$(BIN)/python -m bench $(BENCH_ARGS)

## Compare the list pages of the working tree with another commit's, in turns with the floor:
## make bench-compare REV=ca4b2fb (BENCH_ARGS="--rows 100000 --requests 100" for a quicker look)
bench-compare: $(BIN)/python
	@test -n "$(REV)" || { echo "name the commit to compare with: make bench-compare REV=..." >&2; exit 2; }
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[serve]"
	$(BIN)/python -m bench.compare $(REV) $(BENCH_ARGS)

## Count the instructions a page runs, in one process under valgrind (steadier than a latency):
## make bench-instructions PAGES="/admin/expenses/ /admin/expenses/?q=umbrella floor:first"
bench-instructions: $(BIN)/python
	@test -n "$(PAGES)" || { echo "name the pages: make bench-instructions PAGES='/admin/expenses/ floor:first'" >&2; exit 2; }
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python -m bench.instructions $(PAGES) $(BENCH_ARGS)

## Time pages in one process, in turns, each against the last named (steadier than gunicorn):
## make bench-turns PAGES="/admin/expenses/ floor:first"
bench-turns: $(BIN)/python
	@test -n "$(PAGES)" || { echo "name the pages: make bench-turns PAGES='/admin/expenses/ floor:first'" >&2; exit 2; }
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	$(BIN)/python -m bench.turns $(PAGES) $(BENCH_ARGS)

## Time list pages on PostgreSQL and MariaDB with a million expenses. Each database named gets
## the demo tables afresh: make bench-servers BENCH_URLS="postgresql+psycopg://…/bench mysql+pymysql://…/bench"
bench-servers: install-serve
	@test -n "$(BENCH_URLS)" || { echo "name the databases to fill: make bench-servers BENCH_URLS='URL ...'" >&2; exit 2; }
	for url in $(BENCH_URLS); do $(BIN)/python -m bench.servers "$$url" || exit 1; done
