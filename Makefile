# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TYPECHECK_ROOT := build/typecheck

.PHONY: run test lint typecheck unit clean lock bench bench-quick messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall whenever the project metadata or the constraints change.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/onward db upgrade
	$(BIN)/onward serve

lint: $(STAMP)
	$(BIN)/ruff check engine channels plans tests bench
	$(BIN)/ruff format --check engine channels plans tests bench
	$(BIN)/lint-imports

# mypy needs the installed names (onward.engine, ...) on disk; a tree of links gives it them,
# and the tests beside them (they import `tests.…` and `onward.…`).
typecheck: $(STAMP)
	mkdir -p $(TYPECHECK_ROOT)/onward
	ln -sfn ../../../engine $(TYPECHECK_ROOT)/onward/engine
	ln -sfn ../../../channels $(TYPECHECK_ROOT)/onward/channels
	ln -sfn ../../../plans $(TYPECHECK_ROOT)/onward/plans
	ln -sfn ../../tests $(TYPECHECK_ROOT)/tests
	cd $(TYPECHECK_ROOT) && ../../$(BIN)/mypy --config-file ../../pyproject.toml \
		-p onward.engine -p onward.plans -p onward.channels -p tests

# Re-extract every English sentence marked for translation into the catalogues (engine/locale);
# new entries arrive empty for a translator, and tests/unit/test_catalogues.py names any left so.
messages: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract --no-location --sort-output --project onward -o build/onward.pot engine
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i build/onward.pot -d engine/locale -D onward

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

# Two pytest-xdist workers: the suite waits on databases and processes as much as it computes,
# so two workers finish it in about 0.7 of the time even on 2 busy cores (see README, Tests).
PYTEST_WORKERS ?= 2

# The console's browser tests drive Debian's Chromium (never a browser download of Playwright's).
test: lint typecheck
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

# Benchmarks (not part of `make test`): every figure against a baseline run side by side.
# wrk (the HTTP load generator) is a Debian package; installed here when missing.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py

bench-quick: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py --quick --out build/bench-quick.json

# Refresh the constraints file after changing dependencies (then run make test).
lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^onward' > constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
