# Both targets build .venv themselves on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: demo test lint typecheck unit bench mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m intervention_engine.demo --db demo.sqlite --scenario scenarios/kirklees.yaml \
		--ofsted-csv $(SHARED)/data/ofsted_inspections.csv

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	SHARED_DIR=$(SHARED) $(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/replay.py
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/simulate.py
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/report.py
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/service.py
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/sweep.py
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/http_stack.py

# Mutation testing of the domain core (issue 15): slow, so not part of `make test`. It resumes: mutmut keeps a verdict
# per mutant in mutants/ and resets it when the function it mutates changes; each pass runs every mutant in scope not
# yet killed (`tests/mutation_score.py --pending`: not checked, survived, no tests, timed out), the second pass those
# still without a verdict (reset when a changed function was mutated again) or timed out. Which tests cover which
# function is traced afresh each time, and the tests are copied afresh.
# The scope is SCOPE in tests/mutation_score.py (the files are [tool.mutmut] only_mutate in pyproject.toml).
# `make mutate FRESH=1` starts from nothing. `mutmut show NAME` prints a mutant's diff.
MUTATE_CHILDREN ?= 2

mutate: $(STAMP)
	$(if $(FRESH),rm -rf mutants)
	rm -rf mutants/tests mutants/mutmut-stats.json
	for pass in --pending --unchecked; do \
		names=$$($(BIN)/python tests/mutation_score.py $$pass) && test -n "$$names" || break; \
		SHARED_DIR=$(abspath $(SHARED)) $(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) $$names || exit 1; \
	done
	$(BIN)/python tests/mutation_score.py

clean:
	rm -rf $(VENV) demo.sqlite mutants
