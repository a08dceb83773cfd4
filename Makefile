# Two commands do all set-up on a fresh machine with python3 (>= 3.11) and make:
#   make run    install, migrate the SQLite database, load the demo region, serve on :5000
#   make test   install and run the whole suite (PostgreSQL too where reachable; required under CI=true)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install migrate demo run test bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "需要 Python 3.11 或更高版本（当前：$$($(PYTHON) --version)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/prepay-admin db upgrade

demo: migrate
	$(BIN)/prepay-admin demo load

run: demo
	$(BIN)/prepay-admin run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
