# SynthGuard developer commands. `make demo` and `make test` work on a fresh clone with only Python.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m synthguard.demo

# The whole suite on SQLite, then again on a throw-away PostgreSQL server (scripts/postgres.sh).
# Under CI=true the PostgreSQL run is mandatory; elsewhere it is skipped when PostgreSQL is missing.
test: $(STAMP)
	$(BIN)/pytest -n 2 -q
	scripts/test-postgres.sh $(BIN)/pytest -n 2 -q

test-sqlite: $(STAMP)
	$(BIN)/pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/audit_appends.py
	$(BIN)/python benchmarks/digest.py
	$(BIN)/python benchmarks/fingerprint_index.py
	$(BIN)/python benchmarks/gate.py
	$(BIN)/python benchmarks/disclosure.py
	$(BIN)/python benchmarks/watermark.py
	$(BIN)/python benchmarks/risk.py
	$(BIN)/python benchmarks/scan.py
	$(BIN)/python benchmarks/image_watermark.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .synthguard demo-output
