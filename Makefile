# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo compiled test lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# An editable install runs from the source tree: compile it as pip would an installed
# package, so that every start (even under PYTHONDONTWRITEBYTECODE) skips compiling.
compiled: $(STAMP)
	$(BIN)/python -m compileall -q axon_scopes core tui

demo: compiled
	$(BIN)/axon-scopes demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .

# The command line's row runs jq on the same file: install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@command -v jq >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq jq; }
	$(BIN)/python -m compileall -q cli
	$(BIN)/python -m bench --update-readme

clean:
	rm -rf $(VENV) build *.egg-info

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py
