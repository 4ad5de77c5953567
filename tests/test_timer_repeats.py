"""Timers that repeat, and only while they should (DFE-05, DFE-09, ILACS-08), and timers cancelled in the order
they were set. The histories go through the lenient record where a source contradicts the rulebook (a second
notice, a notice under a direction): the record keeps such facts, and the policies must not let them start a
second cycle of reviews. Every due day is written out by hand from the months RULES.md gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from intervention_engine import InterventionEngine
from policy_council import inadequate, policy_engine

D = dt.date


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()  # Kirklees registered on 1 January 2010


def pending(engine: InterventionEngine, kind: str) -> list[str]:
    return sorted(t["due_on"] for t in engine.state("382").pending_timers if t["kind"] == kind)


def notice(engine: InterventionEngine, on: dt.date, *, strict: bool = True) -> None:
    engine.record("382", {"type": "improvement_notice_issued", "occurred_on": on.isoformat()}, strict=strict)


def test_dfe05_a_second_notice_on_record_keeps_one_cycle_of_progress_reviews(engine: InterventionEngine) -> None:
    """A notice recorded twice (the second against the rulebook, kept in lenient mode) schedules a second review;
    the first review falling due while the second is pending starts no third."""
    inadequate(engine, D(2016, 1, 10))
    notice(engine, D(2016, 3, 1))  # review due 1 September 2016
    notice(engine, D(2016, 5, 2), strict=False)  # review due 2 November 2016
    assert pending(engine, "dfe_progress_review") == ["2016-09-01", "2016-11-02"]
    engine.advance_to(D(2016, 10, 1))
    assert pending(engine, "dfe_progress_review") == ["2016-11-02"]
    engine.advance_to(D(2016, 12, 1))  # the last one repeats, six months on
    assert pending(engine, "dfe_progress_review") == ["2017-05-02"]


def test_dfe05_a_progress_review_repeats_only_under_a_notice(engine: InterventionEngine) -> None:
    """A notice's review falling due after the record left the notice (a revocation of a direction recorded
    against the rulebook, lenient: the instrument is back to none) is not repeated: reviews every six months
    belong to notices."""
    inadequate(engine, D(2016, 1, 10))
    notice(engine, D(2016, 3, 1))
    engine.record("382", {"type": "statutory_direction_revoked", "occurred_on": "2016-04-01"}, strict=False)
    assert engine.state("382").states["instrument"] == "none"
    assert pending(engine, "dfe_progress_review") == ["2016-09-01"]
    engine.advance_to(D(2017, 6, 1))
    assert pending(engine, "dfe_progress_review") == []


def test_a_direction_cancels_the_notice_s_timers_kind_by_kind_oldest_first(engine: InterventionEngine) -> None:
    """The audit trail lists the cancellations in the order the timers were set, within each kind: the ninth timer
    before the thirteenth (not in the order of their ids read as text)."""
    inadequate(engine, D(2016, 1, 10))
    notice(engine, D(2016, 3, 1))
    notice(engine, D(2016, 5, 2), strict=False)
    engine.record("382", {"type": "statutory_direction_issued", "occurred_on": "2016-05-20",
                          "commissioner_review": False})  # fmt: skip
    cancelled = [
        entry.data["timer_id"]
        for entry in engine.timeline("382")
        if entry.event == "TimerCancelled" and entry.data["occurred_on"] == "2016-05-20"
    ]
    assert cancelled == [
        "t11-improvement_plan_due",
        "t8-dfe_progress_review",
        "t12-dfe_progress_review",
        "t9-diagnostic_review_due",
        "t13-diagnostic_review_due",
        "t10-adviser_report_due",
        "t14-adviser_report_due",
    ]


def test_ilacs08_no_monitoring_visit_falls_due_for_a_council_not_judged_inadequate(engine: InterventionEngine) -> None:
    """A good council's action-plan deadline (ILACS-07, 70 working days) fires with no visit pending, and brings
    no monitoring visit: only the next routine inspection is pending (ILACS-04, 36 months from fieldwork)."""
    engine.record(
        "382",
        {
            "type": "inspection_published",
            "occurred_on": "2019-05-01",
            "fieldwork_start": "2019-02-20",
            "fieldwork_end": "2019-03-20",
            "judgements": {"overall": "good", "help_and_protection": "good", "children_in_care": "good",
                           "leadership": "good"},
        },
    )  # fmt: skip
    engine.advance_to(D(2019, 12, 1))
    assert {t["kind"]: t["due_on"] for t in engine.state("382").pending_timers} == {"next_inspection_due": "2022-02-20"}


def test_ilacs08_a_visit_with_no_report_on_record_repeats_under_the_inspection_cycle_s_version(
    engine: InterventionEngine,
) -> None:
    """A monitoring visit on record before any report (an ungraded council, lenient) sets the next visit three
    months on; when that falls due, the one after is set under the inspection cycle's own version."""
    engine.record("382", {"type": "monitoring_visit_published", "occurred_on": "2016-02-10"}, strict=False)
    engine.advance_to(D(2016, 6, 1))
    visits = [t for t in engine.state("382").pending_timers if t["kind"] == "monitoring_visit_due"]
    assert [(t["due_on"], t["rule_id"], t["policy_version"]) for t in visits] == [
        ("2016-08-10", "ILACS-08", "ofsted-inspection-cycle")
    ]
