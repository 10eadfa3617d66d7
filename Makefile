# geoaccess: `make run` serves the app, `make test` runs the whole suite, `make lint` checks style and types.
# Both create .venv (Python 3.11+) and install the project into it when needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-fast lint install data clean

run: $(VENV)/.installed
	$(BIN)/geoaccess serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto

test-fast: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n auto -m "not slow and not browser"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

install: $(VENV)/.installed

# Rebuild the shipped pack from the raw open data (SOURCE: folder with data/ and facts/).
data: $(VENV)/.installed
	$(BIN)/geoaccess data build --source $(or $(SOURCE),../shared)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "geoaccess needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
	  { echo "could not create $(VENV): on Debian/Ubuntu run 'sudo apt-get install python3-venv'"; \
	    rm -rf $(VENV); exit 1; }
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[dev]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
