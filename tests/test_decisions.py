"""What each fact adds to a council's record, decided once and carried by its event (aggregates/decisions.py): the
inspection record and its type (ILACS-04, ILACS-09), visits, delivery forms (DFE-07), who leads a direction
(DFE-01, DFE-06), coverage spans; and the two kinds of deviation, every field written by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from intervention_engine.aggregates.decisions import (
    decide_details,
    expectation_deviation,
    illegal_move_deviation,
    inspection_type,
)
from intervention_engine.facts import Framework, InspectionType, parse_fact

from factories import inspection

D = dt.date


def details_of(data: dict[str, Any], details: dict[str, Any] | None = None, previous: Any = ()) -> dict[str, Any]:
    return decide_details(parse_fact(data), details or {}, list(previous))


def on(fact_type: str, **fields: Any) -> dict[str, Any]:
    return {"type": fact_type, "occurred_on": "2017-05-02", **fields}


# ------------------------------------------------------------------------------------------------------------------
# Inspections: the record kept, and the type (ILACS-04/09).


def test_an_inspection_record_keeps_its_days_framework_type_and_judgements() -> None:
    published = inspection(D(2019, 5, 1), "good")  # fieldwork 20 February to 20 March 2019: ILACS 2018
    assert details_of(published) == {
        "inspection": {
            "published_on": "2019-05-01",
            "fieldwork_start": "2019-02-20",
            "fieldwork_end": "2019-03-20",
            "framework": "ilacs_2018",
            "inspection_type": "standard",  # no previous inspection on record
            "judgements": {"overall": "good", "help_and_protection": "requires_improvement",
                           "children_in_care": "requires_improvement", "leadership": "requires_improvement"},
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("previous", "expected"),
    [("good", "short"), ("outstanding", "short"), ("requires_improvement", "standard"), ("inadequate", "standard")],
)
def test_ilacs04_the_inspection_after_a_good_or_outstanding_one_is_short(previous: str, expected: str) -> None:
    earlier = {"judgements": {"overall": previous}}
    record = details_of(inspection(D(2019, 5, 1), "good"), previous=[{"judgements": {}}, earlier])["inspection"]
    assert record["inspection_type"] == expected  # the latest inspection on record decides


def test_an_inspection_type_the_source_gives_is_kept() -> None:
    published = {**inspection(D(2019, 5, 1), "good"), "inspection_type": "standard"}
    record = details_of(published, previous=[{"judgements": {"overall": "good"}}])["inspection"]
    assert record["inspection_type"] == "standard"


@pytest.mark.parametrize(
    ("published", "previous", "expected"),
    [
        (D(2012, 9, 1), "inadequate", "pre_sif"),  # fieldwork June 2012: before the SIF
        (D(2015, 3, 2), "inadequate", "sif_reinspection"),  # ILACS-09 under the SIF
        (D(2015, 3, 2), "good", "sif"),
    ],
)
def test_the_record_of_a_report_with_no_type_given_takes_its_framework_s_type(
    published: dt.date, previous: str, expected: str
) -> None:
    record = details_of(inspection(published, "good"), previous=[{"judgements": {"overall": previous}}])["inspection"]
    assert record["inspection_type"] == expected


@pytest.mark.parametrize(
    ("framework", "previous", "expected"),
    [
        (Framework.pre_sif, "inadequate", InspectionType.pre_sif),
        (Framework.sif, "inadequate", InspectionType.sif_reinspection),  # ILACS-09 under the SIF
        (Framework.sif, "requires_improvement", InspectionType.sif),
        (Framework.sif, None, InspectionType.sif),
        (Framework.ilacs_2018, "good", InspectionType.short),
        (Framework.ilacs_2023, "outstanding", InspectionType.short),
        (Framework.ilacs_2023, "inadequate", InspectionType.standard),
        (Framework.ilacs_2026, None, InspectionType.standard),
    ],
)
def test_the_inspection_type_follows_the_framework_and_the_previous_overall_grade(
    framework: Framework, previous: str | None, expected: InspectionType
) -> None:
    assert inspection_type(framework, previous) is expected


# ------------------------------------------------------------------------------------------------------------------
# Visits, delivery, directions and coverage.


def test_a_monitoring_visit_keeps_its_day_and_number() -> None:
    visit = details_of(on("monitoring_visit_published", visit_number=3))
    assert visit == {"visit": {"published_on": "2017-05-02", "number": 3}}


def test_dfe07_a_decision_sets_the_delivery_form_and_provider_and_the_end_clears_them() -> None:
    decided = on("alternative_delivery_decided", form="partner_council", provider="Leeds City Council")
    assert details_of(decided) == {"delivery_form": "partner_council", "provider": "Leeds City Council"}
    ended = details_of(on("alternative_delivery_ended"), {"delivery_form": "partner_council", "provider": "Leeds"})
    assert ended == {"delivery_form": None, "provider": None}


@pytest.mark.parametrize(
    ("fields", "before", "led_by"),
    [
        ({"commissioner_review": True}, None, "commissioner"),  # DFE-06
        ({"commissioner_review": False}, None, "adviser"),
        ({"commissioner_review": False}, "commissioner", "adviser"),  # a new direction: its own lead
        ({"commissioner_review": False, "revises_earlier": True}, "commissioner", "commissioner"),  # DFE-01: kept
        ({"commissioner_review": False, "revises_earlier": True}, None, "adviser"),
        ({"commissioner_review": True, "revises_earlier": True}, "adviser", "commissioner"),
    ],
)
def test_dfe01_who_leads_a_direction(fields: dict[str, Any], before: str | None, led_by: str) -> None:
    details = {"direction_led_by": before} if before else {}
    assert details_of(on("statutory_direction_issued", **fields), details) == {"direction_led_by": led_by}


def test_a_commissioner_appointed_leads_and_a_revocation_leaves_no_one_leading() -> None:
    assert details_of(on("commissioner_appointed"), {"direction_led_by": "adviser"}) == {
        "direction_led_by": "commissioner"
    }
    assert details_of(on("statutory_direction_revoked"), {"direction_led_by": "adviser"}) == {"direction_led_by": None}


def test_a_coverage_declaration_adds_its_span_and_other_facts_add_nothing() -> None:
    declared = on("coverage_declared", covers_from="2015-01-01", regions=["judgement"], source="ofsted.csv")
    assert details_of(declared) == {
        "coverage": {"regions": ["judgement"], "from": "2015-01-01", "until": None, "source": "ofsted.csv"}
    }
    assert details_of(on("improvement_notice_issued")) == {}


# ------------------------------------------------------------------------------------------------------------------
# Deviations.


def test_an_illegal_move_names_every_region_that_refused_it() -> None:
    fact = {"type": "statutory_direction_issued", "commissioner_review": True}
    refused = {"instrument": "not from commissioner_review", "delivery": "not from trust"}
    assert illegal_move_deviation(fact, "2017-05-02", refused) == {
        "occurred_on": "2017-05-02",
        "kind": "illegal_move",
        "how": "illegal_move",
        "rule_id": "LIFECYCLE",
        "policy_version": "rulebook",
        "expected": "instrument: not from commissioner_review; delivery: not from trust",
        "happened": "statutory direction issued with commissioner review (recorded in lenient mode)",
    }


EXPECTATION = {"kind": "improvement_notice", "rule_id": "DFE-03", "policy_version": "dfe-2016",
               "expected": "an improvement notice", "opened_on": "2016-11-25"}  # fmt: skip


def test_an_expectation_deviation_says_what_was_expected_by_when_and_what_happened() -> None:
    deviation = expectation_deviation({**EXPECTATION, "due_on": "2017-05-25"}, "missed", "nothing", "2017-05-26")
    assert deviation == {
        "occurred_on": "2017-05-26",
        "kind": "improvement_notice",
        "how": "missed",
        "rule_id": "DFE-03",
        "policy_version": "dfe-2016",
        "expected": "an improvement notice by 2017-05-25",
        "happened": "nothing",
        "expected_since": "2016-11-25",
    }


@pytest.mark.parametrize("due", [{}, {"due_on": None}], ids=["no-due-day", "due-day-none"])
def test_an_expectation_without_a_due_day_says_no_by(due: dict[str, Any]) -> None:
    deviation = expectation_deviation({**EXPECTATION, **due}, "contradicted", "a direction", "2017-01-10")
    assert deviation["expected"] == "an improvement notice"
    assert (deviation["how"], deviation["happened"]) == ("contradicted", "a direction")
