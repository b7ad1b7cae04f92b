# `make demo` and `make test` do all set-up on first use: a venv with the pinned stack.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cs360-installed
export CS360_HOME ?= $(CURDIR)/.cs360
export DAGSTER_HOME ?= $(CS360_HOME)/dagster

.PHONY: demo test lint test-slow dev benchmark clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cs360 demo

# Both cores: test modules are spread over two workers, each module's fixtures stay in one
# (the modules that share a full run go together); the longest start first
# (tests/conftest.py), not the ones with the most tests.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=15

# ruff, then sqlfluff with the dbt templater on both cores (CI runs it after the tests).
lint: $(STAMP)
	BIN=$(BIN) bash .ci/lint

# The slow set: real SIGKILLs of child runs, canary secrets through the whole demo, scale cases.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

dev: $(STAMP)
	$(BIN)/python -c "from cs360_core.settings import resolve_home; resolve_home()"  # writes dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

# Scale measurements, kept out of the test suite: each prints a table of figures and ratios.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/world.py --sizes XS,S,M,L
	$(BIN)/python benchmarks/ingest_events.py --sizes M L
	nice -n 10 $(BIN)/python benchmarks/daily_run.py --size M
	$(BIN)/python benchmarks/sync.py --baseline-records 2000
	$(BIN)/python benchmarks/bookkeeping.py --alerts 70000 --records 20000
	$(BIN)/python benchmarks/dbt_models.py --size M --top 15
	$(BIN)/python benchmarks/webapp.py --synthetic L
	$(BIN)/python benchmarks/churn_eval.py --size M --seeds 1,2,3 --mechanisms all
	$(BIN)/python benchmarks/learning_cost.py --accounts 2000 --days 365

clean:
	rm -rf $(CS360_HOME)
