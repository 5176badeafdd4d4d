# Two commands for a newcomer: `make run` and `make test`. Everything they need is installed from here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
export FLASK_APP := wsgi.py
# PIP_* quietens the machine's extra (absent) local indexes without hiding real errors.
PIP := $(BIN)/pip --disable-pip-version-check -q

.PHONY: install translations migrate demo run test test-fast lint format bench clean

install: $(STAMP) translations

$(STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import flask, flask_smorest, sqlalchemy, psycopg, pytest" # fail loudly if install failed
	rm -f $(VENV)/.installed-* && touch $@

translations: $(STAMP)
	$(BIN)/pybabel compile -f -d backend/translations

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load

# gunicorn and the outbox worker (`flask worker`) side by side, from the Procfile; Ctrl-C stops both.
run: demo
	$(BIN)/honcho start -f Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Both databases when TEST_DATABASE_URL is set (.ci/run sets it); two workers on these 2-core machines.
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# Under a minute on SQLite: everything but demo loads, thread races, long property runs and the browser (`slow`, `e2e`).
test-fast: install
	$(BIN)/pytest -n 2 --dist loadgroup -q -x -m "not slow and not e2e" $(PYTEST_ARGS)

# Every figure of issue 15 in one table (bench/run.py; about 12 minutes on a quiet 2-core machine).
bench: install
	scripts/ensure-wrk.sh
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
