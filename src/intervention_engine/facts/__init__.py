"""Every fact the engine accepts: pydantic models, frozen, `extra="forbid"`, one discriminated union on `type`.

A fact is something that happened in the world (an Ofsted report, a DfE notice); `occurred_on` says when. Dates
known only to the month (`2017-03`), the quarter (`2015-Q4`) or the year (`2017`) are accepted and keep their
precision: they are placed on the first day of that period (the earliest day they can mean) and `date_precision`
says so. (Scenario and timeline loaders may place them later within the period to keep the source's order.) Stored fact
names are contracts: never rename a `type`, add a new one.

The facts live by family: `base` (what every fact carries), `precision` (partial dates), `council` (registration,
coverage, notes), `ofsted` (inspections and visits), `dfe` (notices, directions, commissioners, delivery) and
`parsing` (the union of them all). Import them from here: `from intervention_engine.facts import X`.
"""

from .base import CODE_MAX, LATEST_FACT_DATE, NAME_MAX, REFERENCE_MAX, TEXT_MAX, Confidence, Fact, FactDate
from .council import CouncilRegistered, CoverageDeclared, NoteRecorded, Region
from .dfe import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryEnded,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    CouncilStance,
    DeliveryForm,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    ProgressOutcome,
    ProgressReviewCompleted,
    Recommendation,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
)
from .ofsted import (
    FRAMEWORK_OVERLAPS,
    FRAMEWORK_STARTS,
    ActionPlanSubmitted,
    FocusedVisitPublished,
    Framework,
    Grade,
    InspectionPublished,
    InspectionType,
    Judgements,
    MonitoringVisitPublished,
    framework_on,
)
from .parsing import FACT_ADAPTER, FACT_TYPES, TRIGGERS, AnyFact, fact_to_data, parse_fact
from .precision import DatePrecision, parse_partial_date, period_of

__all__ = [
    "CODE_MAX",
    "FACT_ADAPTER",
    "FACT_TYPES",
    "FRAMEWORK_OVERLAPS",
    "FRAMEWORK_STARTS",
    "LATEST_FACT_DATE",
    "NAME_MAX",
    "REFERENCE_MAX",
    "TEXT_MAX",
    "TRIGGERS",
    "ActionPlanSubmitted",
    "AlternativeDeliveryDecided",
    "AlternativeDeliveryEnded",
    "AlternativeDeliveryLive",
    "AnyFact",
    "CommissionerAppointed",
    "CommissionerReported",
    "Confidence",
    "CouncilRegistered",
    "CouncilStance",
    "CoverageDeclared",
    "DatePrecision",
    "DeliveryForm",
    "Fact",
    "FactDate",
    "FocusedVisitPublished",
    "Framework",
    "Grade",
    "ImprovementNoticeIssued",
    "ImprovementNoticeLifted",
    "InspectionPublished",
    "InspectionType",
    "Judgements",
    "MonitoringVisitPublished",
    "NoteRecorded",
    "ProgressOutcome",
    "ProgressReviewCompleted",
    "Recommendation",
    "Region",
    "StatutoryDirectionIssued",
    "StatutoryDirectionRevoked",
    "SupportAndSupervisionEnded",
    "fact_to_data",
    "framework_on",
    "parse_fact",
    "parse_partial_date",
    "period_of",
]
