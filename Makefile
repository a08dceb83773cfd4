# Two commands do all set-up on a fresh machine with python3 (>= 3.11) and make:
#   make run    install, migrate the SQLite database, load the demo region, serve on :5000 with the scheduler
#   make test   install and run the whole suite (PostgreSQL too where reachable; required under CI=true)
#   make test-fast   the quick loop: unit and SQLite tests, without those marked slow
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: install migrate demo run test test-fast lint lock bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "需要 Python 3.11 或更高版本（当前：$$($(PYTHON) --version)）"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

migrate: install
	$(BIN)/prepay-admin db upgrade

demo: migrate
	$(BIN)/prepay-admin demo load

# the web server and, beside it, the scheduler (reminders, overdue demands, the nightly ledger verify: the
# to-do list's notices); Ctrl-C stops both. SCHEDULER=0 serves the screens alone.
SCHEDULER ?= 1
run: demo
	@if [ "$(SCHEDULER)" = 1 ]; then $(BIN)/prepay-admin scheduler run & sched=$$!; \
	  trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT INT TERM; fi; \
	$(BIN)/prepay-admin run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest

# the edit-and-check loop: unit tests and SQLite integration tests, without those marked slow
test-fast: install
	PREPAY_TEST_BACKENDS=sqlite $(BIN)/pytest -m "not slow" -q

lint: install
	$(BIN)/ruff check prepay_admin accounting agreements migrations tests benchmarks wsgi.py
	$(BIN)/mypy

# refresh the pinned versions and hashes from pyproject.toml's ranges (every November at least: chinesecalendar
# carries the next year's holidays), then run make test
lock: install
	$(BIN)/pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --upgrade --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" -o requirements.lock

bench: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
