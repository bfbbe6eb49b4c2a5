# The two set-up commands of the README: `make run` and `make test`. Each does its own setup.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export DJANGO_SETTINGS_MODULE := billing_admin.settings
# pytest runs on every core (pytest-xdist); each process has its own test database, Celery queue and SMTP
# port, so the integration and fault tests run beside the rest. PYTEST_ARGS="-n 0" runs it serially.
PYTEST_ARGS ?= -n auto

.PHONY: run serve test install install-test install-bench lint migrate seed worker beat

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

## Run the product on the embedded default (SQLite, eager Celery, e-mail to var/mail), seeded.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:8000

## Serve as production does: gunicorn (gunicorn.conf.py), DEBUG off, static files collected and served
## by WhiteNoise. Production sets SECRET_KEY and ALLOWED_HOSTS itself (and serves HTTPS); for a local try
## over plain HTTP on loopback this target fills in LOCAL-ONLY defaults: a throw-away SECRET_KEY,
## ALLOWED_HOSTS=127.0.0.1,localhost, no HTTPS redirect and cookies without the Secure flag.
serve: $(VENV)/.installed
	@[ -n "$$SECRET_KEY" ] || echo "make serve: SECRET_KEY unset: a throw-away key and plain-HTTP local settings"
	export DEBUG=false \
	  SECRET_KEY="$${SECRET_KEY:-local-only-$$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')}" \
	  ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	  SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-false}" SECURE_COOKIES="$${SECURE_COOKIES:-false}" && \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 && \
	$(BIN)/python manage.py migrate --noinput && \
	exec $(BIN)/gunicorn --config gunicorn.conf.py

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
