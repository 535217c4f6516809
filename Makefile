# smartspec — developer entry points. `make run` and `make test` work from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_RUN  := $(VENV)/.stamp-run
STAMP_DEV  := $(VENV)/.stamp-dev
STAMP_BENCH := $(VENV)/.stamp-bench

.PHONY: run test bench lint clean services

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

$(STAMP_BENCH): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev,bench]'
	touch $@ $(STAMP_DEV) $(STAMP_RUN)

# The main job: reports and demo workspace for the default Alpine region, then the web
# workspace on http://127.0.0.1:8000 (prints the URL and the demo login; Ctrl+C stops it).
run: $(STAMP_RUN)
	$(VENV)/bin/smartspec run
	$(VENV)/bin/smartspec serve --demo

test: $(STAMP_DEV) services
	$(PY) -m pytest -n 2 -q

# Services the tests need: a PostgreSQL server on 127.0.0.1:5432 and a headless Chromium.
# Each script uses what is there, or installs and starts it with Debian's packages; if that is
# impossible the suite still runs and the dependent tests report loudly why they skip.
services:
	@bash scripts/ensure_postgres.sh || echo "WARNING: no PostgreSQL server: PostgreSQL tests will be skipped"
	@bash scripts/ensure_chromium.sh || echo "WARNING: no Chromium: PDF and browser tests will be skipped"

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(STAMP_BENCH)
	$(PY) benchmarks/peers.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
