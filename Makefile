# The two commands of the README: `make run` loads the bundled sample, `make test` runs the checks.
# Both install the pinned environment into .venv first (only when requirements.lock changed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

# The report's browser test drives Debian's Chromium through Playwright, which downloads no
# browser of its own here.
CHROMIUM := /usr/bin/chromium

.PHONY: install run test lint chromium lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wikipoll run

test: $(STAMP) lint chromium
	$(BIN)/python -m pytest

# Installs Debian's Chromium when it is missing and this is root with apt-get (as on the project's
# machines and CI); otherwise stops with one line saying how.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make test: installing Chromium for the report's browser test (apt-get install chromium)"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	      || { echo "make test: could not install Chromium; run 'apt-get install chromium' as root, then make test" >&2; exit 1; }; \
	  else \
	    echo "make test: the report's browser test needs Debian's Chromium at $(CHROMIUM): run 'sudo apt-get install chromium', then make test" >&2; \
	    exit 1; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-resolve the pins from pyproject.toml in a throw-away virtualenv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	{ sed -n '1,2p' requirements.lock; .lock-venv/bin/python -m pip freeze --exclude wikipoll; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) warehouse/*.duckdb warehouse/*.duckdb.wal
