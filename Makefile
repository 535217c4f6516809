# smartspec — developer entry points. `make run` and `make test` work from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP_RUN  := $(VENV)/.stamp-run
STAMP_DEV  := $(VENV)/.stamp-dev
STAMP_BENCH := $(VENV)/.stamp-bench

.PHONY: run test bench lint clean

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

run: $(STAMP_RUN)
	$(VENV)/bin/smartspec run

test: $(STAMP_DEV)
	$(PY) -m pytest -n 2 -q

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check src tests benchmarks

bench: $(STAMP_BENCH)
	$(PY) benchmarks/peers.py

clean:
	rm -rf $(VENV) build dist *.egg-info src/*.egg-info
