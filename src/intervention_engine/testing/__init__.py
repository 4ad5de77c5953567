"""A test kit for policies, the project's and users' own: given facts, when a fact is recorded on a date, then the
state, timers, expectations and deviations are as stated, with time travel on the virtual clock (`scenario.py`).

`intervention_engine.testing.plugin` is a pytest plugin (registered through the `pytest11` entry point, so it loads
wherever intervention_engine is installed) giving the `policy_scenario` fixture. This package imports no pytest.
"""

from collections.abc import Callable

from .scenario import PolicyScenario, ScenarioMismatch, with_policy

ScenarioMaker = Callable[..., PolicyScenario]  # the type of the `policy_scenario` fixture

__all__ = ["PolicyScenario", "ScenarioMaker", "ScenarioMismatch", "with_policy"]
