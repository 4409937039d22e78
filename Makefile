# Two commands for a fresh machine: `make run` (the demo app) and `make test` (everything).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint bench clean

run: $(VENV)/.installed
	$(PY) -m flask --app wsgi tocsin init --demo
	TOCSIN_DEMO=1 TOCSIN_EMBEDDED_WORKER=1 $(PY) -m flask --app wsgi run

# Lint, format check, type check, then the whole suite (what CI runs).
test: lint
	$(PY) -m pytest

# The unit tests on both cores: no servers, browsers, benchmarks or tests marked slow.
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 -m "not slow" --ignore=tests/integration --ignore=tests/browser --ignore=tests/wheel \
		--ignore-glob="tests/test_bench_*" tests

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(VENV)/.installed $@

# Every benchmark against its peers, one after another (bench/README.md); not part of CI.
bench: $(VENV)/.installed-bench
	$(PY) -m bench

$(VENV)/.installed-bench: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,bench]"
	touch $(VENV)/.installed $(VENV)/.installed-test $@

clean:
	rm -rf $(VENV) instance .pytest_cache
