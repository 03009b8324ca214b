# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TYPECHECK_ROOT := build/typecheck

.PHONY: run test lint typecheck unit clean lock

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
	$(BIN)/ruff check engine channels plans tests
	$(BIN)/ruff format --check engine channels plans tests

# mypy needs the installed names (onward.engine, ...) on disk; a tree of links gives it them.
typecheck: $(STAMP)
	mkdir -p $(TYPECHECK_ROOT)/onward
	ln -sfn ../../../engine $(TYPECHECK_ROOT)/onward/engine
	ln -sfn ../../../channels $(TYPECHECK_ROOT)/onward/channels
	ln -sfn ../../../plans $(TYPECHECK_ROOT)/onward/plans
	cd $(TYPECHECK_ROOT) && ../../$(BIN)/mypy --config-file ../../pyproject.toml \
		-p onward.engine -p onward.plans -p onward.channels

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

test: lint typecheck
	$(BIN)/pytest -q

# Refresh the constraints file after changing dependencies (then run make test).
lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^onward' > constraints.txt

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
