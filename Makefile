# unionreports — everything a fresh machine with Python 3.11 and make needs.
#   make demo   set up, load the demo from the seed documents, serve http://127.0.0.1:8000/
#   make test   the whole test suite (SQLite; set DATABASE_URL=postgres://… for PostgreSQL)
#   make bench  the public pages at national scale on PostgreSQL, measured (see README)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_PASSWORD ?= unionreports-demo
HOST ?= 127.0.0.1
PORT ?= 8000

export DEMO_PASSWORD

.PHONY: demo test bench install serve migrate lint format check messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "unionreports needs Python 3.11")'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo
	@echo "  unionreports is running at http://$(HOST):$(PORT)/  (English: http://$(HOST):$(PORT)/en/)"
	@echo "  Sign in at http://$(HOST):$(PORT)/admin/ as admin, gaoyou, jiangdu or yangzhou"
	@echo "  with the password: $(DEMO_PASSWORD)   (set DEMO_PASSWORD=… to choose another)"
	@echo
	DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	SECRET_KEY=test-secret-key-not-for-production $(BIN)/python -m pytest $(PYTEST_ARGS)

# Generates 30 million synthetic figures into BENCH_DATABASE_URL (default: the local PostgreSQL's
# unionreports_bench) the first time, then measures; BENCH_ARGS="--orgs 3000 --years 5" is quicker.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Regenerate the translation catalogue after changing strings (needs GNU gettext), then
# translate the new entries in locale/zh_Hans/LC_MESSAGES/django.po and compile.
messages: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'staticfiles/*' --no-obsolete
	DEBUG=1 $(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
