"""Real histories: the scenario file format, its loader, replay and checkpoint checks."""

from .scenario import (
    Checkpoint,
    CheckpointResult,
    Scenario,
    ScenarioCouncil,
    ScenarioEvent,
    check_expectations,
    checkpoint_results,
    load_facts,
    load_scenario,
    replay_scenario,
    scenario_json_schema,
)

__all__ = [
    "Checkpoint",
    "CheckpointResult",
    "Scenario",
    "ScenarioCouncil",
    "ScenarioEvent",
    "check_expectations",
    "checkpoint_results",
    "load_facts",
    "load_scenario",
    "replay_scenario",
    "scenario_json_schema",
]
