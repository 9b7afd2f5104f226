# The two commands a newcomer needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test bench install catalogues lint format clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tono needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# The chat's gettext catalogues (bot/locales/*/tono.po) compiled by Babel into .mo files.
catalogues: $(STAMP)
	$(BIN)/python -m bot.catalogues compile

# `make run PORT=8001` when port 8000 is taken; HOST=0.0.0.0 to serve other machines on the network.
PORT ?= 8000
HOST ?= 127.0.0.1

run: $(STAMP) catalogues
	$(BIN)/tono db upgrade
	$(BIN)/tono seed-demo
	$(BIN)/tono run --host $(HOST) --port $(PORT)

test: $(STAMP) catalogues
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest

# The benchmarks of BENCHMARKS.md, at the sizes the figures there were taken with (long: about an hour).
bench: $(STAMP) catalogues
	$(BIN)/python -m benchmarks.chat_load --chats 200 --updates 5000 --database sqlite
	$(BIN)/python -m benchmarks.chat_load --chats 200 --updates 5000 --database postgresql
	$(BIN)/python -m benchmarks.pacing --notifications 1000
	$(BIN)/python -m benchmarks.memory --conversations 10000
	$(BIN)/python -m benchmarks.scale --sizes 10000,100000,1000000 --database sqlite
	$(BIN)/python -m benchmarks.scale --sizes 10000,100000,1000000 --database postgresql

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
