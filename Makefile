# Forma — the two commands a new engineer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test fuzz lint install install-test clean bench-data

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install and start the whole platform (embedded PostgreSQL/Redis unless configured)
run: install
	$(VENV)/bin/forma up

## test: the whole suite with coverage; fails under 80 %
test: install-test
	$(VENV)/bin/ruff check api pipelines models tests migrations/env.py
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered

## fuzz: the schema fuzzing run at length (200 examples per operation, stateful sequences)
FUZZ_EXAMPLES ?= 200
FUZZ_STEPS ?= 20
fuzz: install-test
	FORMA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FORMA_FUZZ_STEPS=$(FUZZ_STEPS) \
		$(PY) -m pytest tests/contract -p no:cacheprovider -s --timeout=3600

## lint: ruff and mypy
lint: install-test
	$(VENV)/bin/ruff check api pipelines models tests migrations/env.py
	$(VENV)/bin/ruff format --check api pipelines models tests
	$(VENV)/bin/mypy api pipelines models

## bench-data: SCALE athletes × YEARS years into database forma_bench (same server as FORMA_DATABASE_URL)
SCALE ?= 10000
YEARS ?= 2
bench-data: install
	$(PY) -m pipelines.demo.bench --athletes $(SCALE) --years $(YEARS)

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.* htmlcov
