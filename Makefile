# ArkID developer entry points. Only python3.11 and make are needed; everything else is
# installed into .venv, and re-installed only when a requirements file changes (stamps).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.requirements.stamp
DEV_STAMP := $(VENV)/.requirements-dev.stamp
PYTEST_ARGS ?=

.PHONY: help run prepare test lint check-migrations pytest bench install install-dev clean

help:
	@echo "make run    - install, migrate, create the first admin, collect static files, start web + worker"
	@echo "make test   - ruff, format check, import layers, migrations check, pytest (PYTEST_ARGS=...)"
	@echo "make bench  - benchmarks in a throwaway var dir"
	@echo "make clean  - remove .venv stamps and caches (keeps var/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

prepare: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py ensure_admin
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: prepare
	$(BIN)/python scripts/run.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

check-migrations: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint check-migrations pytest

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -f $(RUNTIME_STAMP) $(DEV_STAMP)
	rm -rf .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
