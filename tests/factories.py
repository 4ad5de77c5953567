"""Small builders of facts for tests: one legal example per rulebook trigger and guard."""

from __future__ import annotations

import datetime as dt
from typing import Any

from intervention_engine.facts import Fact, parse_fact

KEY_INADEQUATE = {"help_and_protection": "inadequate", "children_in_care": "inadequate", "leadership": "inadequate"}
# A first inadequate judgement that is not systemic failure (DFE-03): help and protection alone inadequate.
NOT_SYSTEMIC = {"help_and_protection": "inadequate", "children_in_care": "requires_improvement",
                "leadership": "requires_improvement"}  # fmt: skip
KEY_RI = {"help_and_protection": "requires_improvement", "children_in_care": "requires_improvement",
          "leadership": "requires_improvement"}  # fmt: skip


def inspection(on: dt.date, overall: str | None, **judgements: str) -> dict[str, Any]:
    """An inspection published on `on` with fieldwork six to ten weeks before."""
    start, end = on - dt.timedelta(days=70), on - dt.timedelta(days=42)
    keys = KEY_INADEQUATE if overall == "inadequate" else KEY_RI
    grades: dict[str, str] = {**keys, **judgements}
    if overall is not None and start < dt.date(2026, 4, 1):  # no overall grade from April 2026 (ILACS-01)
        grades["overall"] = overall
    if start >= dt.date(2023, 1, 1):
        grades.setdefault("care_leavers", "requires_improvement")
    return {
        "type": "inspection_published",
        "occurred_on": on.isoformat(),
        "fieldwork_start": start.isoformat(),
        "fieldwork_end": end.isoformat(),
        "judgements": grades,
    }


def fact_on(fact_type: str, on: dt.date, **fields: Any) -> dict[str, Any]:
    """A fact of `fact_type` on `on`, with `fields`."""
    return {"type": fact_type, "occurred_on": on.isoformat(), **fields}


def registration(code: str = "382", name: str = "Kirklees", on: str = "2014-01-01") -> dict[str, Any]:
    return {"type": "council_registered", "occurred_on": on, "code": code, "name": name}


# One example fact per (trigger, guard) of the rulebook; `None` guard means the trigger has no guard.
def example(trigger: str, guard: str | None, on: dt.date) -> Fact:
    day = on.isoformat()
    grade_for = {
        "is_graded_outstanding": "outstanding",
        "is_graded_good": "good",
        "is_graded_requires_improvement": "requires_improvement",
        "is_graded_inadequate": "inadequate",
    }
    simple = {
        "record_monitoring_visit": {"type": "monitoring_visit_published"},
        "record_focused_visit": {"type": "focused_visit_published"},
        "submit_action_plan": {"type": "action_plan_submitted"},
        "issue_improvement_notice": {"type": "improvement_notice_issued"},
        "lift_improvement_notice": {"type": "improvement_notice_lifted"},
        "revoke_statutory_direction": {"type": "statutory_direction_revoked"},
        "appoint_commissioner": {"type": "commissioner_appointed"},
        "receive_commissioner_report": {"type": "commissioner_reported", "recommendation": "retain"},
        "complete_progress_review": {"type": "progress_review_completed", "outcome": "sufficient"},
        "decide_alternative_delivery": {"type": "alternative_delivery_decided", "form": "partnership_trust"},
        "start_alternative_delivery": {"type": "alternative_delivery_live"},
        "end_alternative_delivery": {"type": "alternative_delivery_ended"},
        "end_support_and_supervision": {"type": "support_and_supervision_ended"},
    }
    if trigger == "publish_inspection":
        if guard == "has_no_overall_grade":
            return parse_fact(inspection(max(on, dt.date(2026, 7, 1)), None))
        return parse_fact(inspection(on, grade_for[str(guard)]))
    if trigger in ("issue_statutory_direction", "revise_statutory_direction"):
        return parse_fact(
            {
                "type": "statutory_direction_issued",
                "occurred_on": day,
                "commissioner_review": guard == "appoints_commissioner",
                "revises_earlier": trigger == "revise_statutory_direction",
            }
        )
    return parse_fact({**simple[trigger], "occurred_on": day})


# Facts for property tests: any grade of inspection, or one of these on a drawn day (most sequences break rules).
GRADES = ["outstanding", "good", "requires_improvement", "inadequate"]
SIMPLE = [
    {"type": "monitoring_visit_published"},
    {"type": "focused_visit_published", "priority_actions": True},
    {"type": "action_plan_submitted"},
    {"type": "improvement_notice_issued"},
    {"type": "improvement_notice_lifted"},
    {"type": "statutory_direction_issued", "commissioner_review": True},
    {"type": "statutory_direction_issued", "commissioner_review": False},
    {"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": True},
    {"type": "statutory_direction_revoked"},
    {"type": "commissioner_appointed"},
    {"type": "commissioner_reported", "recommendation": "alternative_delivery", "council_stance": "resistant"},
    {"type": "progress_review_completed", "outcome": "insufficient"},
    {"type": "alternative_delivery_decided", "form": "partner_council"},
    {"type": "alternative_delivery_decided", "form": "imposed_trust"},
    {"type": "alternative_delivery_live"},
    {"type": "alternative_delivery_ended"},
    {"type": "support_and_supervision_ended"},
]


def drawn_fact(day: dt.date, choice: str | int) -> dict[str, Any]:
    """A grade (an inspection of that grade) or an index into SIMPLE, as a fact on `day`."""
    if isinstance(choice, str):
        return inspection(day, choice)
    return {**SIMPLE[choice], "occurred_on": day.isoformat()}
