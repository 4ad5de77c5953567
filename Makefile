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

# Mutation testing of the domain core (issue 15): slow, so not part of `make test`. Starts afresh each time; the
# mutants (and mutmut's results, for `mutmut show NAME`) are left in mutants/.
MUTANTS := 'intervention_engine.calendar.*' 'intervention_engine.facts.precision.x_parse_partial_date__*' \
	'intervention_engine.history.partial_dates.*' 'intervention_engine.facts.precision.x_period_of__*' \
	'intervention_engine.policies.*' 'intervention_engine.aggregates.*' 'intervention_engine.simulation.kernel.*'

mutate: $(STAMP)
	rm -rf mutants
	SHARED_DIR=$(abspath $(SHARED)) $(BIN)/mutmut run $(MUTANTS)
	$(BIN)/python tests/mutation_score.py

clean:
	rm -rf $(VENV) demo.sqlite mutants
