"""DFE-08 and ILACS-09a: after a notice is lifted on moving to requires improvement, "up to" 12 months of support and
supervision, ending on a recorded support_and_supervision_ended fact or at 12 months, whichever comes first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intervention_engine import InterventionEngine
from policy_council import D, deviations, inadequate, policy_engine, record, timers

from factories import inspection


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()


def lifted_on_requires_improvement(engine: InterventionEngine) -> None:
    """Gloucestershire: notice of 8 Aug 2017, requires improvement and the notice lifted on 1 Apr 2022."""
    inadequate(engine, D(2017, 6, 13))
    record(engine, "improvement_notice_issued", D(2017, 8, 8))
    engine.record("382", inspection(D(2022, 4, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2022, 4, 1))


def supervision_on(engine: InterventionEngine, day: str) -> str:
    return engine.state("382", as_of=D.fromisoformat(day)).states["supervision"]


def ended_facts(engine: InterventionEngine) -> list[tuple[str, str]]:
    facts = [entry.data["fact"] for entry in engine.timeline("382") if entry.event == "FactRecorded"]
    return [(f["occurred_on"], f["source"]) for f in facts if f["type"] == "support_and_supervision_ended"]


def test_dfe08_with_nothing_recorded_supervision_ends_twelve_months_after_the_lift(engine: InterventionEngine) -> None:
    lifted_on_requires_improvement(engine)
    assert timers(engine, "DFE-08") == {"support_and_supervision_ends": "2023-04-01"}
    engine.advance_to(D(2023, 6, 1))
    assert ended_facts(engine) == [
        ("2023-04-01", "rule DFE-08: twelve months after the improvement notice was lifted")
    ]  # fmt: skip
    assert supervision_on(engine, "2023-03-31") == "support_and_supervision"  # the day before the twelve months
    assert supervision_on(engine, "2023-04-01") == "none"  # the day of
    assert engine.state("382").stage == "requires_improvement"


@pytest.mark.parametrize("ended", ["2022-10-14", "2023-03-31"], ids=["darlington-letter", "day-before-twelve-months"])
def test_dfe08_a_recorded_end_before_twelve_months_ends_it_then_and_cancels_the_timer(
    engine: InterventionEngine, ended: str
) -> None:
    lifted_on_requires_improvement(engine)
    engine.record("382", {"type": "support_and_supervision_ended", "occurred_on": ended, "source": "DfE letter"})
    assert timers(engine, "DFE-08") == {}
    engine.advance_to(D(2023, 6, 1))
    assert ended_facts(engine) == [(ended, "DfE letter")]  # no second end at twelve months
    day_before = (D.fromisoformat(ended) - D.resolution).isoformat()
    assert (supervision_on(engine, day_before), supervision_on(engine, ended)) == ("support_and_supervision", "none")
    assert deviations(engine) == []


def test_dfe08_a_letter_after_the_twelve_months_changes_nothing(engine: InterventionEngine) -> None:
    lifted_on_requires_improvement(engine)
    engine.record("382", {"type": "support_and_supervision_ended", "occurred_on": "2023-05-02", "source": "DfE letter"})
    assert [day for day, _ in ended_facts(engine)] == ["2023-04-01", "2023-05-02"]
    assert supervision_on(engine, "2023-04-01") == "none"
    assert deviations(engine) == []
