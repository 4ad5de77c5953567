"""Every fact as one discriminated union on `type`: validating data as a fact (a clear error naming each field at
fault) and writing a fact back as compact data."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from ..errors import InvalidFact
from .base import Fact
from .council import CouncilRegistered, CoverageDeclared, NoteRecorded
from .dfe import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryEnded,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    ProgressReviewCompleted,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
)
from .ofsted import ActionPlanSubmitted, FocusedVisitPublished, InspectionPublished, MonitoringVisitPublished
from .precision import DatePrecision

AnyFact = Annotated[
    CouncilRegistered
    | InspectionPublished
    | MonitoringVisitPublished
    | FocusedVisitPublished
    | ActionPlanSubmitted
    | ImprovementNoticeIssued
    | ImprovementNoticeLifted
    | StatutoryDirectionIssued
    | StatutoryDirectionRevoked
    | CommissionerAppointed
    | CommissionerReported
    | ProgressReviewCompleted
    | AlternativeDeliveryDecided
    | AlternativeDeliveryLive
    | AlternativeDeliveryEnded
    | SupportAndSupervisionEnded
    | CoverageDeclared
    | NoteRecorded,
    Field(discriminator="type"),
]

FACT_ADAPTER: TypeAdapter[AnyFact] = TypeAdapter(AnyFact)

_FACT_CLASSES: tuple[type[Fact], ...] = (
    CouncilRegistered,
    InspectionPublished,
    MonitoringVisitPublished,
    FocusedVisitPublished,
    ActionPlanSubmitted,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    CommissionerAppointed,
    CommissionerReported,
    ProgressReviewCompleted,
    AlternativeDeliveryDecided,
    AlternativeDeliveryLive,
    AlternativeDeliveryEnded,
    SupportAndSupervisionEnded,
    CoverageDeclared,
    NoteRecorded,
)

FACT_TYPES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in _FACT_CLASSES)

# The rulebook trigger of each fact type (a revised direction fires `revise_statutory_direction`: see its `trigger`).
TRIGGERS: dict[str, str] = {cls.model_fields["type"].default: cls.trigger_name for cls in _FACT_CLASSES}


def parse_fact(data: Any, *, where: str = "") -> Fact:
    """Validate a mapping as a fact, or raise `InvalidFact` naming every field at fault (and `where`)."""
    if isinstance(data, Fact):
        return data
    try:
        fact: Fact = FACT_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise InvalidFact(_explain(error, data, where)) from None
    return fact


def _explain(error: ValidationError, data: Any, where: str) -> str:
    fact_type = data.get("type") if isinstance(data, dict) else None
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"][1:] if part != fact_type) or "type"
        if item["type"] == "union_tag_invalid" or item["type"] == "union_tag_not_found":
            location = "type"
            message = f"unknown fact type {fact_type!r}; known types: {', '.join(FACT_TYPES)}"
        else:
            message = item["msg"]
        problems.append(f"{location}: {message}")
    prefix = f"{where}: " if where else ""
    label = f"fact {fact_type!r}" if fact_type else "fact"
    return f"{prefix}invalid {label}: " + "; ".join(problems)


def fact_to_data(fact: Fact) -> dict[str, Any]:
    """A fact as plain JSON-ready data, without defaults that say nothing (stable, compact storage)."""
    data: dict[str, Any] = fact.model_dump(mode="json", exclude_none=True)
    if data.get("date_precision") == DatePrecision.day.value:
        del data["date_precision"]
    for key, default in (("simulated", False), ("inferred", False), ("provenance", []), ("record_complete", True)):
        if data.get(key) == default:
            del data[key]
    return data
