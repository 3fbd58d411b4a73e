# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run install install-test chromium test

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

## Install everything the tests need and run the whole suite.
test: install-test chromium
	$(BIN)/python -m pytest -W error
