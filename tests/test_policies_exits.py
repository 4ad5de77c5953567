"""How intervention winds down (DFE-04, DFE-08): a progress review that finds no failure asks for nothing, a second
year of support and supervision replaces the first, and a revoked direction takes back what it still expected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intervention_engine import InterventionEngine
from policy_council import D, deviations, expectations, inadequate, policy_engine, record

from factories import inspection


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()


def test_dfe04_a_sufficient_progress_review_under_a_notice_expects_no_direction(engine: InterventionEngine) -> None:
    inadequate(engine, D(2018, 6, 1))
    record(engine, "improvement_notice_issued", D(2018, 7, 1))
    record(engine, "progress_review_completed", D(2019, 1, 7), outcome="sufficient")
    assert "direction_after_insufficient_progress" not in expectations(engine)


def test_dfe04_an_insufficient_review_under_a_direction_expects_no_second_direction(engine: InterventionEngine) -> None:
    inadequate(engine, D(2018, 6, 1))
    record(engine, "statutory_direction_issued", D(2018, 7, 1), commissioner_review=False)
    record(engine, "progress_review_completed", D(2019, 1, 7), outcome="insufficient")
    assert "direction_after_insufficient_progress" not in expectations(engine)


def test_dfe08_a_notice_lifted_again_restarts_the_year_of_support_and_supervision(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 1, 10))
    record(engine, "improvement_notice_issued", D(2017, 2, 1))
    engine.record("382", inspection(D(2018, 6, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2018, 6, 1))  # a year of support and supervision to 1 June 2019
    inadequate(engine, D(2018, 10, 1))
    record(engine, "improvement_notice_issued", D(2018, 10, 15))
    engine.record("382", inspection(D(2019, 3, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2019, 3, 4))
    pending = [(t["kind"], t["due_on"]) for t in engine.state("382").pending_timers if t["rule_id"] == "DFE-08"]
    assert pending == [("support_and_supervision_ends", "2020-03-04")]  # one year, from the second lifting
    [cancelled] = [
        entry.data
        for entry in engine.timeline("382")
        if entry.event == "TimerCancelled" and entry.data["timer_id"].endswith("support_and_supervision_ends")
    ]
    assert (cancelled["occurred_on"], cancelled["reason"]) == ("2019-03-04", "support and supervision restarted")


def test_dfe08_a_direction_revoked_withdraws_the_2022_removal_it_still_expected(engine: InterventionEngine) -> None:
    inadequate(engine, D(2023, 3, 1), systemic=True)
    record(engine, "statutory_direction_issued", D(2023, 3, 1), commissioner_review=True)
    assert expectations(engine)["removal_from_council"]["due_on"] == "2024-09-01"  # DFE-03 (2022): 18 months
    record(engine, "statutory_direction_revoked", D(2023, 10, 2))
    assert "removal_from_council" not in expectations(engine)
    engine.advance_to(D(2025, 1, 1))  # past the removal's deadline: withdrawn, so not missed
    assert [d for d in deviations(engine) if d["kind"] == "removal_from_council"] == []


def test_dfe08_inadequate_again_before_the_notice_is_lifted_withdraws_the_lifting(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 1, 10))
    record(engine, "improvement_notice_issued", D(2017, 2, 1))
    engine.record("382", inspection(D(2018, 6, 1), "requires_improvement"))
    assert expectations(engine)["notice_lifted"]["due_on"] == "2018-09-01"
    inadequate(engine, D(2018, 7, 2))  # persistent failure: a commissioner is expected instead (DFE-04)
    assert set(expectations(engine)) == {"direction_with_commissioner"}
    deadlines = [
        (entry.occurred_on, entry.data["reason"])
        for entry in engine.timeline("382")
        if entry.event == "TimerCancelled" and entry.data["timer_id"].endswith("expectation_deadline")
    ]
    assert deadlines == [("2017-02-01", "expectation met"), ("2018-07-02", "expectation withdrawn")]  # the audit trail
    engine.advance_to(D(2019, 6, 1))
    assert [(d["kind"], d["how"]) for d in deviations(engine)] == [("direction_with_commissioner", "missed")]


@pytest.mark.parametrize(("form", "voluntary"), [("partnership_trust", True), ("imposed_trust", False)])
def test_dfe07_alternative_delivery_decided_with_nothing_open_is_voluntary_unless_imposed(
    engine: InterventionEngine, form: str, voluntary: bool
) -> None:
    inadequate(engine, D(2017, 1, 10))  # no notice or direction recorded yet
    record(engine, "alternative_delivery_decided", D(2017, 3, 1), form=form)
    found = [d for d in deviations(engine) if d["rule_id"] == "DFE-07"]
    assert found == (
        [
            {
                "council": "382",
                "name": "Kirklees",
                "occurred_on": "2017-03-01",
                "kind": "voluntary_alternative_delivery",
                "how": "found",
                "rule_id": "DFE-07",
                "policy_version": "dfe-2016-07",
                "expected": "alternative delivery decided under an intervention",
                "happened": "alternative delivery decided with no notice or direction open (a voluntary arrangement)",
            }
        ]
        if voluntary
        else []  # Slough 2014: imposed by the minister
    )
