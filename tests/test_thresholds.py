"""Counts and judgements just either side of a rule's threshold: ILACS-08 (at least four monitoring visits before an
inadequate council is re-inspected) and ILACS-12 (from April 2026, leaders or help and protection inadequate count as
inadequate; children in care or care leavers alone do not)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from intervention_engine import InterventionEngine
from intervention_engine.facts import Grade, Judgements
from intervention_engine.policies import ilacs_2026

from factories import NOT_SYSTEMIC, inspection

D = dt.date


@pytest.fixture
def engine(kirklees: InterventionEngine) -> InterventionEngine:
    return kirklees  # Kirklees registered on 1 January 1999 (conftest)


RI = "requires_improvement"


def monitoring_deviations(engine: InterventionEngine) -> list[tuple[str, str, str]]:
    return [
        (d["expected"], d["happened"], d["occurred_on"]) for d in engine.deviations("382") if d["rule_id"] == "ILACS-08"
    ]


def visit(engine: InterventionEngine, on: dt.date, number: int | None = None) -> None:
    engine.record("382", {"type": "monitoring_visit_published", "occurred_on": on.isoformat(), "visit_number": number})


VISITS = [D(2017, 10, 2), D(2018, 1, 8), D(2018, 4, 9), D(2018, 7, 9), D(2018, 10, 8)]


@pytest.mark.parametrize(
    ("visits", "happened"),
    [
        (1, "re-inspected after 1 recorded monitoring visit"),
        (3, "re-inspected after 3 recorded monitoring visits"),
        (4, None),
        (5, None),
    ],
)
def test_ilacs08_at_least_four_monitoring_visits_before_reinspection(
    engine: InterventionEngine, visits: int, happened: str | None
) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    for day in VISITS[:visits]:
        visit(engine, day)
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    expected = [("at least 4 monitoring visits before re-inspection", happened, "2019-07-22")] if happened else []
    assert monitoring_deviations(engine) == expected


@pytest.mark.parametrize(("number", "deviation"), [(3, True), (4, False)])
def test_ilacs08_the_highest_visit_number_counts_as_the_visits_made(
    engine: InterventionEngine, number: int, deviation: bool
) -> None:
    # A record holding only the last letter, numbered by Ofsted ("the fourth monitoring visit").
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    visit(engine, D(2019, 4, 11), number)
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    happened = f"re-inspected after {number} recorded monitoring visits"
    assert [h for _, h, _ in monitoring_deviations(engine)] == ([happened] if deviation else [])


def test_ilacs08_a_visit_published_with_the_inadequate_report_does_not_count(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    visit(engine, D(2017, 4, 7))  # the same day as the report: not a visit after it
    for day in VISITS[:3]:
        visit(engine, day)
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    assert [h for _, h, _ in monitoring_deviations(engine)] == ["re-inspected after 3 recorded monitoring visits"]


def test_ilacs08_only_visits_since_the_inadequate_report_count(engine: InterventionEngine) -> None:
    # Three visits after a first inadequate report, re-inspected inadequate, then three more: each re-inspection is
    # judged on the visits since the report before it.
    engine.record("382", inspection(D(2016, 4, 7), "inadequate", **NOT_SYSTEMIC))
    for day in (D(2016, 7, 1), D(2016, 10, 1), D(2017, 1, 9)):
        visit(engine, day)
    engine.record("382", inspection(D(2017, 4, 7), "inadequate", **NOT_SYSTEMIC))
    for day in VISITS[:3]:
        visit(engine, day)
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    assert [(h, on) for _, h, on in monitoring_deviations(engine)] == [
        ("re-inspected after 3 recorded monitoring visits", "2017-04-07"),
        ("re-inspected after 3 recorded monitoring visits", "2019-07-22"),
    ]


def test_ilacs08_a_council_that_was_not_inadequate_is_not_held_to_monitoring(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2017, 4, 7), "requires_improvement"))
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    assert monitoring_deviations(engine) == []


# ------------------------------------------------------------------------------------------------------------------
# ILACS-12: each judgement alone, in a report with no overall grade (fieldwork from 1 April 2026).

GOOD_2026 = {"help_and_protection": "good", "children_in_care": "good", "leadership": "good", "care_leavers": "good"}
ALONE = [
    ("leadership", True),
    ("help_and_protection", True),
    ("children_in_care", False),
    ("care_leavers", False),
    (None, False),
]


def report_2026(inadequate: str | None) -> dict[str, Any]:
    grades = {**GOOD_2026, **({inadequate: "inadequate"} if inadequate else {})}
    return inspection(D(2026, 8, 20), None, **grades)


@pytest.mark.parametrize(("judgement", "counts"), ALONE, ids=[str(j) for j, _ in ALONE])
def test_ilacs12_the_assumption_reads_leaders_and_help_and_protection_alone(
    judgement: str | None, counts: bool
) -> None:
    judgements = Judgements.model_validate({**GOOD_2026, **({judgement: "inadequate"} if judgement else {})})
    assert ilacs_2026.FRAMEWORK.is_inadequate(judgements) is counts
    assert ilacs_2026.FRAMEWORK.is_systemic(judgements) is False


@pytest.mark.parametrize(("judgement", "counts"), ALONE, ids=[str(j) for j, _ in ALONE])
def test_ilacs12_one_inadequate_judgement_starts_monitoring_and_the_dfe_only_if_the_assumption_counts_it(
    engine: InterventionEngine, judgement: str | None, counts: bool
) -> None:
    engine.record("382", report_2026(judgement))
    status = engine.state("382")
    assert status.states["judgement"] == "ungraded"
    pending = {t["kind"]: (t["due_on"], t["policy_version"]) for t in status.pending_timers}
    expectations = {e["kind"]: (e["rule_id"], e["policy_version"], e["due_on"]) for e in status.open_expectations}
    if counts:
        assert pending["monitoring_visit_due"][1] == "ilacs-2026"
        assert "next_inspection_due" not in pending
        assert expectations == {"improvement_notice": ("DFE-03", "dfe-2026-04", "2027-02-20")}
    else:
        assert "monitoring_visit_due" not in pending
        assert pending["next_inspection_due"] == ("2029-06-11", "ilacs-2026")  # ILACS-04: fieldwork + 36 months
        assert expectations == {}


def test_ilacs12_every_key_judgement_inadequate_is_systemic_failure(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2026, 8, 20), None, help_and_protection="inadequate",
                                    children_in_care="inadequate", leadership="inadequate"))  # fmt: skip
    kinds = {e["kind"] for e in engine.state("382").open_expectations}
    assert kinds == {"direction_with_commissioner", "removal_from_council"}


def test_ilacs12_a_not_judged_area_is_not_inadequate() -> None:
    judgements = Judgements(help_and_protection=Grade.not_judged, children_in_care=Grade.good, leadership=Grade.good)
    assert ilacs_2026.FRAMEWORK.is_inadequate(judgements) is False
