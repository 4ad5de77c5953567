"""The lifecycle rulebook, table-driven: every legal move, and every illegal one refused (DESIGN decision 2, 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from intervention_engine.facts import parse_fact
from intervention_engine.policies.rulebook import FACT_OF_TRIGGER, REGIONS, STAGES, Rulebook, derive_stage

from factories import example

RULEBOOK = Rulebook()
ON = dt.date(2019, 6, 3)


def _sources(spec: dict[str, Any], transition: dict[str, Any]) -> list[str]:
    source = transition["source"]
    return list(spec["states"]) if source == "*" else [source] if isinstance(source, str) else list(source)


def _guard(transition: dict[str, Any]) -> str | None:
    return transition.get("conditions") or (transition.get("unless") and f"not {transition['unless']}")


LEGAL_MOVES = [
    pytest.param(region, trigger, source, dest, guard, id=f"{region}:{source}-{trigger}[{guard}]->{dest}")
    for region, spec in REGIONS.items()
    for t in spec["transitions"]
    for trigger, guard in [(t["trigger"], _guard(t))]
    for source in _sources(spec, t)
    for dest in [source if t["dest"] == "=" else t["dest"]]
]


def _council_details(guard: str | None) -> dict[str, Any]:
    partner = guard == "delivers_through_partner_council"
    led_by = "commissioner" if guard == "is_led_by_commissioner" else "adviser"
    return {"delivery_form": "partner_council" if partner else "imposed_trust", "direction_led_by": led_by}


def _example_guard(guard: str | None) -> str | None:
    # `not appoints_commissioner` is met by a direction without a commissioner; the example builder knows that.
    return None if guard is None or guard.startswith("not ") else guard


@pytest.mark.parametrize(("region", "trigger", "source", "dest", "guard"), LEGAL_MOVES)
def test_every_legal_move_leads_where_the_rulebook_says(
    region: str, trigger: str, source: str, dest: str, guard: str | None
) -> None:
    fact = example(trigger, _example_guard(guard), ON)
    assert fact.trigger == trigger
    states = {**RULEBOOK.initial_states(), region: source}
    ruling = RULEBOOK.rule(fact, states, _council_details(guard))
    assert region not in ruling.refused
    assert ruling.states[region] == dest


ILLEGAL_MOVES = [
    pytest.param(region, trigger, state, id=f"{region}:{state}-{trigger}")
    for region, spec in REGIONS.items()
    for trigger in sorted({t["trigger"] for t in spec["transitions"]})
    for state in spec["states"]
    if not any(t["trigger"] == trigger and state in _sources(spec, t) for t in spec["transitions"])
]


@pytest.mark.parametrize(("region", "trigger", "state"), ILLEGAL_MOVES)
def test_every_illegal_move_is_refused_with_a_reason(region: str, trigger: str, state: str) -> None:
    guard = "appoints_commissioner" if "statutory_direction" in trigger else "is_graded_good"
    fact = example(trigger, guard if trigger in ("publish_inspection", "issue_statutory_direction") else None, ON)
    states = {**RULEBOOK.initial_states(), region: state}
    ruling = RULEBOOK.rule(fact, states, {})
    assert not ruling.legal
    assert ruling.refused[region] == f"{FACT_OF_TRIGGER[trigger]} is not a move from {state}"  # the user's words


def test_there_are_illegal_moves_to_test() -> None:
    # Guards the table above against silently becoming empty if the rulebook changes shape.
    assert len(ILLEGAL_MOVES) > 30
    assert len(LEGAL_MOVES) > 40


def test_a_fact_only_moves_the_regions_that_know_its_trigger() -> None:
    fact = example("issue_improvement_notice", None, ON)
    states = {"judgement": "inadequate", "instrument": "none", "delivery": "trust", "supervision": "none"}
    assert RULEBOOK.rule(fact, states, {}).states == {**states, "instrument": "improvement_notice"}


def test_lifting_a_notice_moves_two_regions_at_once() -> None:
    # DFE-08: the notice ends and a year of support and supervision begins.
    fact = example("lift_improvement_notice", None, ON)
    states = {**RULEBOOK.initial_states(), "instrument": "improvement_notice"}
    ruling = RULEBOOK.rule(fact, states, {})
    assert ruling.states["instrument"] == "none"
    assert ruling.states["supervision"] == "support_and_supervision"


def test_lenient_ruling_follows_what_the_fact_says() -> None:
    # A commissioner appointed with no direction open (a messy real record): refused, but the state follows.
    fact = example("appoint_commissioner", None, ON)
    ruling = RULEBOOK.rule(fact, RULEBOOK.initial_states(), {})
    assert ruling.refused == {"instrument": "commissioner_appointed is not a move from none"}
    assert ruling.states["instrument"] == "commissioner_review"


@pytest.mark.parametrize(("commissioner", "dest"), [(True, "commissioner_review"), (False, "statutory_direction")])
def test_lenient_ruling_of_a_guarded_move_follows_the_guard_the_fact_meets(commissioner: bool, dest: str) -> None:
    """A direction issued while one is open (refused) leads where its own kind of direction leads: the guard picks
    between the two moves of the trigger, with or without a commissioner (DFE-01, DFE-06)."""
    states = {**RULEBOOK.initial_states(), "judgement": "inadequate", "instrument": "statutory_direction"}
    fact = parse_fact({"type": "statutory_direction_issued", "occurred_on": "2019-06-03",
                       "commissioner_review": commissioner})  # fmt: skip
    ruling = RULEBOOK.rule(fact, states, {"direction_led_by": "adviser"})
    assert ruling.refused == {"instrument": "statutory_direction_issued is not a move from statutory_direction"}
    assert ruling.states == {**states, "instrument": dest}


def test_machines_are_pure_rulebooks_without_auto_transitions() -> None:
    for region, machine in RULEBOOK._machines.items():
        assert not machine.models, region
        assert not any(name.startswith("to_") for name in machine.events), region


def test_legal_moves_name_the_triggers_each_region_accepts() -> None:
    moves = RULEBOOK.legal_moves(
        {"judgement": "good", "instrument": "none", "delivery": "council", "supervision": "none"}
    )
    assert moves["instrument"] == ["issue_improvement_notice", "issue_statutory_direction"]
    assert "record_monitoring_visit" not in moves["judgement"]


@pytest.mark.parametrize(
    ("states", "stage"),
    [
        ({"judgement": "good", "instrument": "statutory_direction", "delivery": "trust"}, "trust"),  # Birmingham 2023
        ({"judgement": "inadequate", "instrument": "commissioner_review"}, "commissioner_review"),
        ({"judgement": "inadequate", "instrument": "none", "delivery": "council"}, "inadequate"),
        ({"judgement": "requires_improvement", "instrument": "none", "supervision": "support_and_supervision"},
         "returned"),
        ({"judgement": "requires_improvement", "instrument": "statutory_direction", "delivery": "partner_council"},
         "partner_council"),
        ({"judgement": "inadequate", "instrument": "none", "delivery": "alternative_delivery_decided"},
         "alternative_delivery_decided"),
        ({"judgement": "good"}, "good"),
    ],
)  # fmt: skip
def test_the_stage_is_the_most_serious_condition(states: dict[str, str], stage: str) -> None:
    full = {**RULEBOOK.initial_states(), **states}
    assert derive_stage(full) == stage
    assert stage in STAGES


def test_the_mermaid_diagram_draws_every_region_and_trigger() -> None:
    text = RULEBOOK.mermaid()
    assert text.startswith("stateDiagram-v2")
    for region, spec in REGIONS.items():
        assert f"state {region} {{" in text
        for transition in spec["transitions"]:
            assert transition["trigger"] in text
