# Two commands for a fresh machine: `make run` (the demo app) and `make test` (everything).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast lint bench clean messages

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

# Translations (docs/i18n.md): extract every marked string into a template, merge it into
# each language's .po (new strings arrive empty, changed ones fuzzy), compile the .mo files
# that ship in the package. Tocsin's catalog, then the standalone app's own.
BABEL := $(PY) -m babel.messages.frontend
BABEL_KEYWORDS := -k tocsin_js -k tocsin_js_plural:1,2 -k _l
messages: $(VENV)/.installed
	$(BABEL) -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project Tocsin -o tocsin/translations/messages.pot tocsin
	$(BABEL) -q update -i tocsin/translations/messages.pot -d tocsin/translations --no-wrap
	$(BABEL) compile -d tocsin/translations --statistics
	$(BABEL) -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--project "Tocsin demo" -o app/translations/messages.pot app templates
	$(BABEL) -q update -i app/translations/messages.pot -d app/translations --no-wrap
	$(BABEL) compile -d app/translations --statistics

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
