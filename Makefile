# Atiende — `make run` to start, `make test` to check everything. Needs python3 >= 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONFIG ?= config.yaml

.PHONY: install run chat test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Atiende needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/atiende db upgrade --config $(CONFIG)
	$(BIN)/atiende serve --config $(CONFIG)

chat: install
	$(BIN)/atiende chat --config $(CONFIG)

test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/kb_quality.py
	$(BIN)/python bench/kb_latency.py
	$(BIN)/python bench/business_time.py
	$(BIN)/python bench/sla_sweep.py
	$(BIN)/python bench/webhook_throughput.py --concurrency 32
	$(BIN)/python bench/burst_latency.py
	$(BIN)/python bench/outbox_delivery.py
	$(BIN)/python bench/serve_rss.py
	$(BIN)/python bench/imap_ingest.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/inbox_list.py
	$(BIN)/python bench/widget_roundtrip.py
	$(BIN)/python bench/triage_quality.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis .import_linter_cache atiende.db atiende.db-wal atiende.db-shm
