"""The pytest plugin of the policy test kit (entry point `pytest11`): the `policy_scenario` fixture.

    def test_my_regime(policy_scenario):
        scenario = policy_scenario(with_policy(MY_POLICY), start=dt.date(2026, 6, 1))
        scenario.given(...).when(...).then(stage="improvement_notice")

Each scenario's engine is closed when the test ends. A failing `then` shows every difference and the timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from ..policies.registry import PolicyRegistry
from . import ScenarioMaker
from .scenario import PolicyScenario


@pytest.fixture
def policy_scenario() -> Iterator[ScenarioMaker]:
    """Make `PolicyScenario`s (arguments as its own); they are closed after the test."""
    made: list[PolicyScenario] = []

    def make(policies: PolicyRegistry | None = None, *, start: dt.date, **options: Any) -> PolicyScenario:
        scenario = PolicyScenario(policies, start=start, **options)
        made.append(scenario)
        return scenario

    yield make
    for scenario in made:
        scenario.engine.close()
