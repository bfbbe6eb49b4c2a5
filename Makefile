# The two set-up commands of the README: `make run` and `make test`. Each does its own setup.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := billing_admin.settings

.PHONY: run test install install-test lint migrate seed worker beat

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Run the product on the embedded default (SQLite, eager Celery, e-mail to var/mail), seeded.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:8000

## Install what the tests need and run the whole suite (ruff, the layers contract, migrations check, pytest).
test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

worker: $(VENV)/.installed
	$(BIN)/celery -A billing_admin worker -l info

beat: $(VENV)/.installed
	$(BIN)/celery -A billing_admin beat -l info
