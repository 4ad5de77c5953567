"""One council (Kirklees, 382) on a virtual clock from 2010, and small readers of its state, for policy tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine

from factories import inspection, registration

D = dt.date
NOT_SYSTEMIC = {"help_and_protection": "inadequate", "children_in_care": "requires_improvement",
                "leadership": "requires_improvement"}  # fmt: skip


def policy_engine() -> Iterator[InterventionEngine]:
    built = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2010, 1, 1)))
    built.record(None, registration(on="2010-01-01"))
    yield built
    built.close()


def record(engine: InterventionEngine, fact_type: str, on: dt.date, **fields: Any) -> None:
    engine.record("382", {"type": fact_type, "occurred_on": on.isoformat(), **fields})


def inadequate(engine: InterventionEngine, on: dt.date, *, systemic: bool = False) -> None:
    engine.record("382", inspection(on, "inadequate", **({} if systemic else NOT_SYSTEMIC)))


def expectations(engine: InterventionEngine) -> dict[str, dict[str, Any]]:
    return {e["kind"]: e for e in engine.state("382").open_expectations}


def timers(engine: InterventionEngine, rule: str) -> dict[str, str]:
    """Pending timers of a rule, leaving out the deadlines of its expectations."""
    pending = engine.state("382").pending_timers
    return {t["kind"]: t["due_on"] for t in pending if t["rule_id"] == rule and t["kind"] != "expectation_deadline"}


def deviations(engine: InterventionEngine) -> list[dict[str, Any]]:
    return engine.deviations("382")
