# Two commands set up a fresh machine by themselves: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint install prereqs sample bench lab clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,spark]"
	touch $@

install: $(STAMP)

## demo: the richest pipeline there is, into ./out
demo: install
	$(BIN)/tracelab demo

## test: the checks, then everything: unit, property, doctest, CLI, browser and Spark tests
test: install prereqs lint
	$(BIN)/python -m pytest

## lint: ruff, mypy on the package and the import-linter layers contract (docs/architecture.md)
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## prereqs: Debian Chromium and Java 17 for browser and Spark tests (installed when root)
prereqs:
	bash scripts/prereqs.sh

## sample: regenerate the committed sample county in data/sample
sample: install
	$(BIN)/tracelab synth --population 5000 --days 14 --seed 1 --out data/sample

## lab: the notebooks in JupyterLab, on this machine only (as root too: containers run as root)
lab: install
	$(BIN)/jupyter lab notebooks --no-browser --ServerApp.ip=127.0.0.1 \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root)

## bench: run the benchmarks (minutes; not part of test)
bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
