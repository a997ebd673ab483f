# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make test` runs one test process per core; `make test TEST_WORKERS=0` runs them all in one.
TEST_WORKERS ?= auto

.PHONY: demo demo-redis compiled test lint bench screenshots clean redis-server browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# An editable install runs from the source tree: compile it as pip would an installed
# package, so that every start (even under PYTHONDONTWRITEBYTECODE) skips compiling.
compiled: $(STAMP)
	$(BIN)/python -m compileall -q axon_scopes core tui cli

demo: compiled
	$(BIN)/axon-scopes demo

# The same live demo over a Redis server of its own (started on a free port, stopped on quit).
demo-redis: compiled redis-server
	$(BIN)/axon-scopes demo --redis

# The Redis tests start their own servers on free loopback ports: they need `redis-server`
# and `redis-cli` (Debian's redis-server package). Installed here when missing and we are root.
REDIS_INSTALL := apt-get install -y redis-server
redis-server:
	@if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing redis-server (Debian's package)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(REDIS_INSTALL) -q >/dev/null || { apt-get update -q >/dev/null && $(REDIS_INSTALL) -q >/dev/null; }; \
	else \
		echo "redis-server is missing; install it with: sudo $(REDIS_INSTALL)" >&2; exit 1; \
	fi

# The browser tests (`axon-scopes web`) drive Debian's chromium through its chromedriver,
# both given by path: installed here when missing and we are root.
BROWSER_INSTALL := apt-get install -y chromium chromium-driver
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium and chromium-driver (Debian's packages)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(BROWSER_INSTALL) -q >/dev/null || { apt-get update -q >/dev/null && $(BROWSER_INSTALL) -q >/dev/null; }; \
	else \
		echo "chromium or chromedriver is missing; install them with: sudo $(BROWSER_INSTALL)" >&2; exit 1; \
	fi

test: $(STAMP) redis-server browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check .

# The command line's row runs jq on the same file: install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
bench: $(STAMP) redis-server
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@command -v jq >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq jq; }
	$(BIN)/python -m compileall -q cli
	$(BIN)/python -m bench --update-readme

clean:
	rm -rf $(VENV) build *.egg-info

screenshots: $(STAMP) browser
	$(BIN)/python scripts/screenshots.py
	$(BIN)/python scripts/web_screenshot.py
