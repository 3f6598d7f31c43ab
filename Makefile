# Forma — the two commands a new engineer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint install install-test clean

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
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered

lint: install-test
	$(VENV)/bin/ruff check api pipelines models tests bench

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.* htmlcov
