# Tenantry — `make run` to start the console, `make test` to run the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint fmt migrate demo venv check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
		echo "Tenantry needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) -V 2>&1)."; \
		echo "Install a newer Python and run: make run PYTHON=python3.11"; exit 1; }

$(VENV)/.installed: requirements.txt requirements-runtime.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

# Migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat
# (and the embedded broker and Kubernetes emulator when none is configured) as one
# foreground command; Ctrl-C stops everything.
run: venv
	$(PY) manage.py devstack --host $(HOST) --port $(PORT)

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

bench: venv
	$(PY) -m bench

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/hadolint Dockerfile

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/ .pytest_cache
