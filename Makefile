# Forma — the two commands a new engineer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test test-deep fuzz lint install install-test clean bench-data bench bench-smoke bench-coach notebooks

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e '.[test]'
	touch $@

$(VENV)/.installed-notebooks: $(VENV)/.installed
	$(PIP) install -e '.[notebooks]'
	touch $@

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install -e '.[bench]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install and start the whole platform (embedded PostgreSQL/Redis unless configured)
run: install
	$(VENV)/bin/forma up

## test: the whole suite with coverage; fails under 90 %. TEST_WORKERS pytest processes
## (each with its own database, queue and key prefix); the tests that start a whole
## `forma up` (e2e, faults, load, notebooks) run one after another in one of them. The schema
## fuzzing runs first, in one process: its cases share one test id, which pytest-xdist
## would run only once.
TEST_WORKERS ?= 2
test: install-test
	$(VENV)/bin/ruff check api pipelines models client tests bench migrations/env.py
	$(PY) -m pytest tests/contract --cov --cov-report= --cov-fail-under=0
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --ignore=tests/contract \
		--cov --cov-append --cov-report=term-missing:skip-covered

## notebooks: JupyterLab on notebooks/ (installs the `notebooks` extra). They log in to
## FORMA_URL (default http://127.0.0.1:8000: `make run` in another terminal) as
## FORMA_EMAIL / FORMA_PASSWORD (default the demo's analyst)
notebooks: $(VENV)/.installed-notebooks
	$(VENV)/bin/jupyter lab notebooks/

## test-deep: the property tests (Hypothesis) with the `deep` profile: 500 random examples
## each instead of `make test`'s 20 derandomized ones; a failure prints its replay blob
test-deep: install-test
	FORMA_HYPOTHESIS_PROFILE=deep $(PY) -m pytest -m hypothesis -p no:cacheprovider --timeout=3600

## fuzz: the schema fuzzing run at length (200 examples per operation, stateful sequences)
FUZZ_EXAMPLES ?= 200
FUZZ_STEPS ?= 20
fuzz: install-test
	FORMA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FORMA_FUZZ_STEPS=$(FUZZ_STEPS) \
		$(PY) -m pytest tests/contract -p no:cacheprovider -s --timeout=3600

## lint: ruff and mypy
lint: install-test
	$(VENV)/bin/ruff check api pipelines models client tests bench migrations/env.py
	$(VENV)/bin/ruff format --check api pipelines models client tests bench/load
	$(VENV)/bin/mypy api pipelines models client/forma_client

## bench-data: SCALE athletes × YEARS years into database forma_bench (same server as FORMA_DATABASE_URL)
SCALE ?= 10000
YEARS ?= 2
bench-data: install
	$(PY) -m pipelines.demo.bench --athletes $(SCALE) --years $(YEARS)

## bench-coach: the coach's training, batch scoring and GET /v1/recommendations on the
## bench-data population (SCALE athletes); more: COACH_ARGS="--workers 1 --rate 100"
COACH_ARGS ?=
bench-coach: $(VENV)/.installed-bench
	$(PY) -m bench.coach_bench --athletes $(SCALE) $(COACH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.* htmlcov

## bench: the load harness (issue 10) on FORMA_DATABASE_URL's server and FORMA_REDIS_URL
## (default 127.0.0.1); appends a dated section to bench/RESULTS.md.
## One part alone: make bench LOAD_PARTS=reads; smaller: LOAD_SCALE=small; more: LOAD_ARGS=...
LOAD_PARTS ?= floor,writes,phones,reads
LOAD_SCALE ?= full
LOAD_ARGS ?=
bench: $(VENV)/.installed-bench
	$(PY) -m bench.load --parts $(LOAD_PARTS) --scale $(LOAD_SCALE) $(LOAD_ARGS)

## bench-smoke: every part for seconds with a few dozen clients; prints, appends nothing
bench-smoke: $(VENV)/.installed-bench
	$(PY) -m bench.load --scale smoke --no-results $(LOAD_ARGS)
