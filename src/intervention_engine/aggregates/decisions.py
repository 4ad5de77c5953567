"""Decisions the Council makes once, whose results its events carry so that replay never recomputes them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..facts import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryEnded,
    CommissionerAppointed,
    CoverageDeclared,
    Fact,
    Framework,
    Grade,
    InspectionPublished,
    InspectionType,
    MonitoringVisitPublished,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
)
from .coverage import coverage_span
from .expectations import describe_fact


def decide_details(fact: Fact, details: Mapping[str, Any], inspections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What a fact adds to the council's record: an inspection, a visit, or details such as the delivery form."""
    if isinstance(fact, InspectionPublished):
        return {"inspection": inspection_record(fact, inspections[-1] if inspections else None)}
    if isinstance(fact, MonitoringVisitPublished):
        return {"visit": {"published_on": fact.occurred_on.isoformat(), "number": fact.visit_number}}
    if isinstance(fact, AlternativeDeliveryDecided):
        return {"delivery_form": fact.form.value, "provider": fact.provider}
    if isinstance(fact, AlternativeDeliveryEnded):
        return {"delivery_form": None, "provider": None}
    if isinstance(fact, StatutoryDirectionIssued):
        if fact.commissioner_review:
            return {"direction_led_by": "commissioner"}
        kept = details.get("direction_led_by") if fact.revises_earlier else None
        return {"direction_led_by": kept or "adviser"}
    if isinstance(fact, CommissionerAppointed):
        return {"direction_led_by": "commissioner"}
    if isinstance(fact, StatutoryDirectionRevoked):
        return {"direction_led_by": None}
    if isinstance(fact, CoverageDeclared):
        return {"coverage": coverage_span(fact)}
    return {}


def inspection_record(fact: InspectionPublished, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    framework = fact.resolved_framework
    previous_overall = previous["judgements"].get("overall") if previous else None
    return {
        "published_on": fact.occurred_on.isoformat(),
        "fieldwork_start": fact.fieldwork_start.isoformat(),
        "fieldwork_end": fact.fieldwork_end.isoformat(),
        "framework": framework.value,
        "inspection_type": (fact.inspection_type or inspection_type(framework, previous_overall)).value,
        "judgements": fact.judgements.model_dump(mode="json", exclude_none=True),
    }


def inspection_type(framework: Framework, previous_overall: str | None) -> InspectionType:
    """ILACS-04/09: the type follows the framework and the previous overall grade."""
    if framework is Framework.pre_sif:
        return InspectionType.pre_sif
    if framework is Framework.sif:
        return InspectionType.sif_reinspection if previous_overall == Grade.inadequate else InspectionType.sif
    good = previous_overall in (Grade.good.value, Grade.outstanding.value)
    return InspectionType.short if good else InspectionType.standard


def illegal_move_deviation(fact: Mapping[str, Any], occurred_on: str, refused: Mapping[str, str]) -> dict[str, Any]:
    """A fact the rulebook forbids, recorded in lenient mode."""
    return {
        "occurred_on": occurred_on,
        "kind": "illegal_move",
        "how": "illegal_move",
        "rule_id": "LIFECYCLE",
        "policy_version": "rulebook",
        "expected": "; ".join(f"{region}: {why}" for region, why in refused.items()),
        "happened": f"{describe_fact(fact)} (recorded in lenient mode)",
    }


def expectation_deviation(expectation: Mapping[str, Any], how: str, happened: str, occurred_on: str) -> dict[str, Any]:
    """An expectation missed or contradicted: what was expected (and by when), and what happened."""
    due = f" by {expectation['due_on']}" if expectation.get("due_on") else ""
    return {
        "occurred_on": occurred_on,
        "kind": expectation["kind"],
        "how": how,
        "rule_id": expectation["rule_id"],
        "policy_version": expectation["policy_version"],
        "expected": f"{expectation['expected']}{due}",
        "happened": happened,
        "expected_since": expectation["opened_on"],
    }
