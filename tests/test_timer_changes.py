"""Why each timer was cancelled or moved, as the council's timeline tells it: every policy reaction that changes a
timer names its reason (DESIGN decision 8), and the reasons and new dates are asserted by hand for each rule.
Also the policy branches the real record rarely reaches: a visit with no monitoring timer pending (ILACS-08), a
second recovery under an open direction (DFE-08), a revised direction led by a commissioner (DFE-09)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from intervention_engine import InterventionEngine

from factories import NOT_SYSTEMIC, fact_on, inspection

D = dt.date


@pytest.fixture
def engine(kirklees: InterventionEngine) -> InterventionEngine:
    return kirklees  # Kirklees registered on 1 January 1999 (conftest)


def record(engine: InterventionEngine, fact_type: str, on: dt.date, **fields: Any) -> None:
    engine.record("382", fact_on(fact_type, on, **fields))


def changes_on(engine: InterventionEngine, day: dt.date) -> set[tuple[str, str, str | None, str]]:
    """(event, timer kind, new due date or None, reason) of every timer cancelled or moved on `day`."""
    found = set()
    for entry in engine.timeline("382"):
        if entry.event in ("TimerCancelled", "TimerRescheduled") and entry.occurred_on == day.isoformat():
            match = re.fullmatch(r"t\d+-(.+)", entry.data["timer_id"])
            assert match is not None
            found.add((entry.event, match.group(1), entry.data.get("due_on"), entry.data["reason"]))
    return found


def pending(engine: InterventionEngine) -> dict[str, tuple[str, str, str]]:
    return {
        t["kind"]: (t["due_on"], t["rule_id"], t["policy_version"])
        for t in engine.state("382").pending_timers
        if t["kind"] != "expectation_deadline"
    }


def test_ilacs07_09_an_action_plan_cancels_its_timer_and_moves_the_reinspection_window(
    engine: InterventionEngine,
) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate", **NOT_SYSTEMIC))
    record(engine, "action_plan_submitted", D(2017, 3, 1))
    assert changes_on(engine, D(2017, 3, 1)) == {
        ("TimerCancelled", "action_plan_due", None, "action plan submitted"),
        ("TimerRescheduled", "reinspection_window_opens", "2018-09-01", "action plan submitted"),  # + 18 months
        ("TimerRescheduled", "reinspection_due", "2019-03-01", "action plan submitted"),  # + 24 months
    }


def test_ilacs08_a_monitoring_visit_moves_the_next_one_three_months_on(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate", **NOT_SYSTEMIC))
    record(engine, "monitoring_visit_published", D(2017, 5, 10))
    assert changes_on(engine, D(2017, 5, 10)) == {
        ("TimerRescheduled", "monitoring_visit_due", "2017-08-10", "monitoring visit took place")
    }


def test_ilacs08_a_visit_with_no_monitoring_timer_pending_schedules_the_next(engine: InterventionEngine) -> None:
    # From April 2026 a council can be ungraded without being inadequate (ILACS-12): no monitoring timer is set,
    # but a monitoring visit is still legal, and the next one is then expected three months on.
    engine.record("382", inspection(D(2026, 8, 20), None, help_and_protection="good", children_in_care="good",
                                    leadership="good"))  # fmt: skip
    assert "monitoring_visit_due" not in pending(engine)
    record(engine, "monitoring_visit_published", D(2026, 11, 2))
    assert pending(engine)["monitoring_visit_due"] == ("2027-02-02", "ILACS-08", "ilacs-2026")


def test_a_new_report_supersedes_every_inspection_timer_of_the_last(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate", **NOT_SYSTEMIC))
    engine.record("382", inspection(D(2017, 1, 20), "requires_improvement"))
    reasons = {(kind, reason) for _, kind, _, reason in changes_on(engine, D(2017, 1, 20))}
    superseded = "superseded by a new inspection report"
    assert {(kind, superseded) for kind in ("action_plan_due", "monitoring_visit_due", "reinspection_window_opens",
                                            "reinspection_due")} <= reasons  # fmt: skip


def test_dfe04_06_a_direction_cancels_the_notice_timers_and_sets_the_commissioners_report(
    engine: InterventionEngine,
) -> None:
    engine.record("382", inspection(D(2018, 6, 1), "inadequate", **NOT_SYSTEMIC))
    record(engine, "improvement_notice_issued", D(2018, 7, 1))
    record(engine, "statutory_direction_issued", D(2018, 8, 20), commissioner_review=True)  # before any falls due
    timers = {(event, kind, reason) for event, kind, _, reason in changes_on(engine, D(2018, 8, 20))}
    notice_timers = ("improvement_plan_due", "dfe_progress_review", "diagnostic_review_due", "adviser_report_due")
    assert {("TimerCancelled", kind, "statutory direction issued") for kind in notice_timers} <= timers
    assert pending(engine)["commissioner_report_due"] == ("2018-11-20", "DFE-06", "dfe-2016-07")


def test_dfe06_09_appointing_a_commissioner_replaces_the_advisers_reviews(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=False)
    record(engine, "commissioner_appointed", D(2018, 1, 15))
    assert changes_on(engine, D(2018, 1, 15)) == {
        ("TimerCancelled", "adviser_review_due", None, "commissioner appointed")
    }
    assert pending(engine)["commissioner_report_due"] == ("2018-04-15", "DFE-06", "dfe-2016-07")


def test_dfe06_09_a_commissioners_report_ends_the_review_and_starts_quarterly_updates(
    engine: InterventionEngine,
) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    record(engine, "commissioner_reported", D(2017, 2, 20), recommendation="retain_with_partner")  # due 25 February
    assert ("TimerCancelled", "commissioner_report_due", None, "commissioner reported") in changes_on(
        engine, D(2017, 2, 20)
    )
    assert pending(engine)["commissioner_update_due"] == ("2017-05-20", "DFE-09", "dfe-2016-07")


def test_dfe09_a_revised_direction_led_by_a_commissioner_keeps_quarterly_updates(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    record(engine, "commissioner_reported", D(2017, 2, 20), recommendation="retain_with_partner")
    record(engine, "statutory_direction_issued", D(2017, 10, 2), commissioner_review=False, revises_earlier=True)
    assert ("TimerCancelled", "commissioner_update_due", None, "statutory direction issued") in changes_on(
        engine, D(2017, 10, 2)
    )
    assert pending(engine)["commissioner_update_due"] == ("2018-01-02", "DFE-09", "dfe-2016-07")
    assert "adviser_review_due" not in pending(engine)


def test_dfe08_revoking_a_direction_ends_its_reviews(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    record(engine, "commissioner_reported", D(2017, 2, 20), recommendation="retain_with_partner")
    record(engine, "statutory_direction_revoked", D(2017, 5, 2))
    assert changes_on(engine, D(2017, 5, 2)) == {
        ("TimerCancelled", "commissioner_update_due", None, "statutory direction revoked")
    }


def test_dfe07_going_live_ends_the_go_live_window(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 5, 1), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 5, 1), commissioner_review=True)
    record(engine, "alternative_delivery_decided", D(2016, 10, 6), form="partnership_trust")
    record(engine, "alternative_delivery_live", D(2017, 10, 1))  # before the window opens
    timers = {(event, kind, reason) for event, kind, _, reason in changes_on(engine, D(2017, 10, 1))}
    assert {("TimerCancelled", "alternative_delivery_window_opens", "alternative delivery live"),
            ("TimerCancelled", "alternative_delivery_due", "alternative delivery live")} <= timers  # fmt: skip


def test_dfe08_lifting_a_notice_cancels_its_timers_and_a_closing_letter_ends_supervision(
    engine: InterventionEngine,
) -> None:
    engine.record("382", inspection(D(2018, 6, 1), "inadequate", **NOT_SYSTEMIC))
    record(engine, "improvement_notice_issued", D(2018, 7, 1))
    engine.record("382", inspection(D(2020, 10, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2020, 10, 1))
    timers = {(event, kind, reason) for event, kind, _, reason in changes_on(engine, D(2020, 10, 1))}
    assert ("TimerCancelled", "dfe_progress_review", "improvement notice lifted") in timers
    assert pending(engine)["support_and_supervision_ends"] == ("2021-10-01", "DFE-08", "dfe-2016-07")
    record(engine, "support_and_supervision_ended", D(2021, 6, 30))  # the DfE's letter, before the year is up
    assert changes_on(engine, D(2021, 6, 30)) == {
        ("TimerCancelled", "support_and_supervision_ends", None, "support and supervision ended")
    }
    assert engine.state("382").stage == "requires_improvement"


def test_dfe08_a_second_recovery_under_a_direction_keeps_the_first_revocation_deadline(
    engine: InterventionEngine,
) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    engine.record("382", inspection(D(2019, 8, 5), "requires_improvement"))
    engine.record("382", inspection(D(2022, 9, 1), "good"))  # a new deadline would be 1 March 2027
    revocations = [e for e in engine.state("382").open_expectations if e["kind"] == "direction_revoked"]
    assert [(e["due_on"], e["expected"]) for e in revocations] == [
        ("2024-02-05", "the statutory direction revoked after a report no longer inadequate")  # 54 months on
    ]


# ------------------------------------------------------------------------------------------------------------------
# Timers that repeat when they fall due, as long as their instrument (or the inadequate judgement) lasts.


def test_dfe09_adviser_reviews_repeat_every_six_months_under_a_direction(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=False)
    engine.advance_to(D(2018, 3, 13))
    assert pending(engine)["adviser_review_due"] == ("2018-09-12", "DFE-09", "dfe-2016-07")


def test_dfe09_commissioner_updates_repeat_every_three_months(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    record(engine, "commissioner_reported", D(2017, 2, 20), recommendation="retain_with_partner")
    engine.advance_to(D(2017, 5, 21))
    assert pending(engine)["commissioner_update_due"] == ("2017-08-20", "DFE-09", "dfe-2016-07")


def test_dfe09_reviews_stop_once_the_direction_is_revoked(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=False)
    engine.advance_to(D(2018, 3, 13))
    record(engine, "statutory_direction_revoked", D(2018, 6, 1))
    engine.advance_to(D(2019, 1, 1))
    assert "adviser_review_due" not in pending(engine)


def test_ilacs08_monitoring_visits_fall_due_quarterly_from_the_last_one_due(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2016, 11, 25), "inadequate", **NOT_SYSTEMIC))
    engine.advance_to(D(2017, 4, 6))  # the first visit was due on 5 April 2017 and none was recorded
    assert pending(engine)["monitoring_visit_due"] == ("2017-07-05", "ILACS-08", "sif-2013")


def test_dfe08_the_year_of_supervision_ends_by_itself_with_its_rule_as_source(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2018, 6, 1), "inadequate", **NOT_SYSTEMIC))
    record(engine, "improvement_notice_issued", D(2018, 7, 1))
    engine.record("382", inspection(D(2020, 10, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2020, 10, 1))
    engine.advance_to(D(2021, 10, 2))
    [ended] = [e for e in engine.timeline("382") if e.summary == "support and supervision ended"]
    assert ended.occurred_on == "2021-10-01"
    assert ended.data["fact"]["source"] == "rule DFE-08: twelve months after the improvement notice was lifted"
