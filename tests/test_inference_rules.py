"""The inference rules INF-01..04 (DESIGN decision 12) one by one, on the facts and states they read: what each
infers (every field of the inferred fact, written by hand) and the states where it must infer nothing.

The end-to-end paths (lenient imports of registers) are in tests/test_engine.py and tests/test_scenario.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from intervention_engine.facts import Fact, fact_to_data, parse_fact
from intervention_engine.policies.inference import Inference, infer

INF_01 = "INF-01 (DFE-01, DFE-06): a commissioner is appointed under a statutory direction"
INF_02 = "INF-02 (DFE-06): a commissioner reports under a direction with a commissioner review"
INF_03 = "INF-03 (DFE-07): services go live outside the council after a decision to move them"
INF_04 = "INF-04 (DFE-01): a direction issued while another is open (in force until revoked) revises it"
REGISTER = {"source": "dfe_interventions.csv", "provenance": ["dfe_interventions.csv line 12 (high)"]}


def states(instrument: str = "none", delivery: str = "council") -> dict[str, str]:
    return {"judgement": "inadequate", "instrument": instrument, "delivery": delivery, "supervision": "none"}


def fact(data: dict[str, Any]) -> Fact:
    return parse_fact({"occurred_on": "2017-03", **REGISTER, **data})  # dated to the month, as registers are


def marks(why: str, implied_by: str) -> dict[str, Any]:
    """The fields every inferred fact carries: its day, precision and sources from the fact that implied it."""
    return {
        "occurred_on": "2017-03-01",
        "date_precision": "month",
        **REGISTER,
        "confidence": "low",
        "inferred": True,
        "inference": why,
        "implied_by": implied_by,
    }


def inferred(result: Inference | None) -> list[dict[str, Any]]:
    assert result is not None
    return [fact_to_data(before) for before in result.before]


@pytest.mark.parametrize("instrument", ["none", "improvement_notice"])
def test_inf01_a_commissioner_appointed_with_no_direction_open_implies_one_with_a_commissioner(instrument: str) -> None:
    appointed = fact({"type": "commissioner_appointed"})
    result = infer(appointed, states(instrument), {})
    assert inferred(result) == [
        {
            "type": "statutory_direction_issued",
            "commissioner_review": True,
            "revises_earlier": False,
            **marks(INF_01, "commissioner_appointed on 2017-03-01"),
        }
    ]
    assert result is not None
    assert result.fact is appointed
    assert result.changed


@pytest.mark.parametrize("instrument", ["statutory_direction", "commissioner_review"])
def test_inf01_a_commissioner_appointed_under_a_direction_implies_nothing(instrument: str) -> None:
    assert infer(fact({"type": "commissioner_appointed"}), states(instrument), {}) is None


def test_inf02_a_commissioner_report_with_no_direction_implies_a_direction_with_a_commissioner() -> None:
    report = fact({"type": "commissioner_reported", "recommendation": "retain"})
    result = infer(report, states("improvement_notice"), {})
    assert inferred(result) == [
        {
            "type": "statutory_direction_issued",
            "commissioner_review": True,
            "revises_earlier": False,
            **marks(INF_02, "commissioner_reported on 2017-03-01"),
        }
    ]
    assert result is not None
    assert result.fact is report  # the report itself is recorded after the direction


@pytest.mark.parametrize("led_by", [None, "adviser"])
def test_inf02_a_report_under_a_direction_led_by_advisers_implies_a_commissioner_s_appointment(
    led_by: str | None,
) -> None:
    report = fact({"type": "commissioner_reported", "recommendation": "alternative_delivery"})
    details = {"direction_led_by": led_by} if led_by else {}
    result = infer(report, states("statutory_direction"), details)
    assert inferred(result) == [
        {"type": "commissioner_appointed", **marks(INF_02, "commissioner_reported on 2017-03-01")}
    ]
    assert result is not None
    assert result.fact is report  # the report itself is recorded after the appointment


@pytest.mark.parametrize(
    ("instrument", "led_by"), [("statutory_direction", "commissioner"), ("commissioner_review", "adviser")]
)
def test_inf02_a_report_where_a_commissioner_is_already_in_post_implies_nothing(instrument: str, led_by: str) -> None:
    report = fact({"type": "commissioner_reported", "recommendation": "retain"})
    assert infer(report, states(instrument), {"direction_led_by": led_by}) is None


@pytest.mark.parametrize(("form", "decided_form"), [("partner_council", "partner_council"), (None, "other")])
def test_inf03_services_live_with_no_decision_imply_a_decision_in_the_form_the_live_fact_gives(
    form: str | None, decided_form: str
) -> None:
    live = fact({"type": "alternative_delivery_live", "provider": "Leeds", **({"form": form} if form else {})})
    assert inferred(infer(live, states("commissioner_review"), {})) == [
        {
            "type": "alternative_delivery_decided",
            "form": decided_form,
            "provider": "Leeds",
            **marks(INF_03, "alternative_delivery_live on 2017-03-01"),
        }
    ]


def test_inf03_services_live_after_a_decision_imply_nothing() -> None:
    live = fact({"type": "alternative_delivery_live"})
    assert infer(live, states("commissioner_review", "alternative_delivery_decided"), {}) is None


@pytest.mark.parametrize("instrument", ["statutory_direction", "commissioner_review"])
def test_inf04_a_direction_issued_while_one_is_open_is_read_as_revising_it(instrument: str) -> None:
    direction = fact({"type": "statutory_direction_issued", "commissioner_review": True})
    result = infer(direction, states(instrument), {})
    assert result is not None
    assert result.before == ()
    assert result.changed
    assert fact_to_data(result.fact) == {
        "type": "statutory_direction_issued", "occurred_on": "2017-03-01", "date_precision": "month", **REGISTER,
        "commissioner_review": True, "revises_earlier": True, "inference": INF_04,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("instrument", "revises"), [("none", False), ("improvement_notice", False), ("statutory_direction", True)]
)
def test_inf04_a_first_direction_or_one_already_revising_is_read_as_it_is(instrument: str, revises: bool) -> None:
    direction = fact({"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": revises})
    assert infer(direction, states(instrument), {}) is None


def test_an_inference_with_nothing_inferred_and_nothing_reread_has_not_changed_the_fact() -> None:
    notice = fact({"type": "improvement_notice_issued"})
    assert not Inference(notice).changed
    assert infer(notice, states(), {}) is None  # no rule reads a notice
