# The two commands of the README: `make run` loads the bundled sample, `make test` runs the checks.
# Both install the pinned environment into .venv first (only when requirements.lock changed).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

.PHONY: install run test lint lock clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.lock
	$(PIP) install --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/wikipoll run

test: $(STAMP) lint
	$(BIN)/python -m pytest

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
