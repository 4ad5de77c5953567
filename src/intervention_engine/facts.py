"""Every fact the engine accepts: pydantic models, frozen, `extra="forbid"`, one discriminated union on `type`.

A fact is something that happened in the world (an Ofsted report, a DfE notice); `occurred_on` says when. Dates
known only to the month (`2017-03`), the quarter (`2015-Q4`) or the year (`2017`) are accepted and keep their
precision: they are placed on the first day of that period (the earliest day they can mean) and `date_precision`
says so. (Scenario and timeline loaders may place them later within the period to keep the source's order.) Stored fact
names are contracts: never rename a `type`, add a new one.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from .council_identity import COUNCIL_TEXT_PATTERN, CouncilText
from .dates import DATE_RANGE, FACT_DAY_PATTERN, LATEST_DATE, WorldDate, within_range
from .errors import InvalidFact

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


class DatePrecision(StrEnum):
    """How much of `occurred_on` the source actually knew."""

    day = "day"
    month = "month"
    quarter = "quarter"
    year = "year"


def parse_partial_date(value: str) -> tuple[dt.date, DatePrecision]:
    """`2017-03` → (2017-03-01, month); `2015-Q4` → (2015-10-01, quarter); `2017` → (2017-01-01, year).

    A full ISO date is returned as it is, with day precision; anything else raises ValueError.
    """
    match = _PARTIAL_DATE.match(value.strip())
    if match is None:
        return dt.date.fromisoformat(value.strip()), DatePrecision.day
    year, month, quarter = int(match.group(1)), match.group(2), match.group(3)
    if month is not None:
        return dt.date(year, int(month), 1), DatePrecision.month
    if quarter is not None:
        return dt.date(year, 3 * int(quarter) - 2, 1), DatePrecision.quarter
    return dt.date(year, 1, 1), DatePrecision.year


_PERIOD_MONTHS = {DatePrecision.month: 1, DatePrecision.quarter: 3, DatePrecision.year: 12}


def period_of(day: dt.date, precision: DatePrecision) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year of `day` (a full date is its own period)."""
    if precision is DatePrecision.day:
        return day, day
    months = _PERIOD_MONTHS[precision]
    start = dt.date(day.year, day.month - (day.month - 1) % months, 1)
    following = dt.date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


class Confidence(StrEnum):
    """How far a source can be trusted (RULES.md conventions)."""

    high = "high"
    medium = "medium"
    low = "low"


class Grade(StrEnum):
    """Ofsted's four-point scale (ILACS-03), plus `not_graded` for the overall judgement from April 2026 and
    `not_judged` for a judgement the report could not make (Isles of Scilly 2016: no children looked after)."""

    outstanding = "outstanding"
    good = "good"
    requires_improvement = "requires_improvement"
    inadequate = "inadequate"
    not_graded = "not_graded"
    not_judged = "not_judged"


class Framework(StrEnum):
    """Inspection framework eras (ILACS-01), chosen by the fieldwork start date."""

    pre_sif = "pre_sif"
    sif = "sif"
    ilacs_2018 = "ilacs_2018"
    ilacs_2023 = "ilacs_2023"
    ilacs_2026 = "ilacs_2026"


FRAMEWORK_STARTS: tuple[tuple[dt.date, Framework], ...] = (
    (dt.date(2026, 4, 1), Framework.ilacs_2026),
    (dt.date(2023, 1, 1), Framework.ilacs_2023),
    (dt.date(2018, 1, 1), Framework.ilacs_2018),
    (dt.date(2013, 11, 1), Framework.sif),
)


# A framework may outlive its successor's start for some reports: SIF re-inspections of inadequate councils went
# on into 2018 (Darlington and Surrey, fieldwork February 2018; ILACS-09: ILACS standard re-inspections from
# September 2018). A report that names such a framework is taken at its word up to these dates.
FRAMEWORK_OVERLAPS: dict[Framework, dt.date] = {Framework.sif: dt.date(2018, 12, 31)}


def _overlaps(framework: Framework, fieldwork_start: dt.date) -> bool:
    last = FRAMEWORK_OVERLAPS.get(framework)
    return last is not None and framework_on(fieldwork_start) is not Framework.pre_sif and fieldwork_start <= last


def framework_on(fieldwork_start: dt.date) -> Framework:
    """The framework in force on a fieldwork start date (ILACS-01: keyed on fieldwork, not publication)."""
    for start, framework in FRAMEWORK_STARTS:
        if fieldwork_start >= start:
            return framework
    return Framework.pre_sif


class InspectionType(StrEnum):
    """Kinds of graded inspection (ILACS-02, ILACS-04, ILACS-09)."""

    pre_sif = "pre_sif"
    sif = "sif"
    sif_reinspection = "sif_reinspection"
    short = "short"
    standard = "standard"


# The longest text each field takes (422 beyond): bounded facts keep every event, page and stream bounded.
TEXT_MAX = 4000  # note, detail
REFERENCE_MAX = 2000  # source, report_url
NAME_MAX = 200  # names of councils, people, providers, topics, kinds, regions
CODE_MAX = 20  # codes and URNs
_VISIBLE: dict[str, Any] = {"pattern": COUNCIL_TEXT_PATTERN}  # what council_text accepts, for JSON schemas

LATEST_FACT_DATE = LATEST_DATE  # facts, simulated ones included, stop here: timers in between are bounded
# A fact's own date: a day, or a month, quarter or year placed on its first day (`_place_partial_date`).
FactDate = Annotated[
    dt.date,
    AfterValidator(within_range),
    WithJsonSchema({"type": "string", "pattern": FACT_DAY_PATTERN, "description": f"a date from {DATE_RANGE}"}),
]


class Fact(BaseModel):
    """Base of every fact: when it happened in the world, how precisely that is known, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    trigger_name: ClassVar[str] = ""

    occurred_on: FactDate
    date_precision: DatePrecision = DatePrecision.day
    source: str | None = Field(default=None, max_length=REFERENCE_MAX)
    confidence: Confidence | None = Field(default=None, description="how far the source can be trusted")
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    simulated: bool = Field(default=False, strict=True)  # strict: 1 or "yes" is not a boolean
    provenance: tuple[Annotated[str, Field(max_length=REFERENCE_MAX)], ...] = Field(
        default=(), description="every source that reported this fact, e.g. 'dfe_interventions.csv line 12 (high)'"
    )
    inferred: bool = Field(
        default=False, strict=True, description="no source states it: the record implies it (DESIGN 12)"
    )
    inference: str | None = Field(
        default=None, max_length=TEXT_MAX, description="the rule that inferred or re-read the fact, and why"
    )
    implied_by: str | None = Field(
        default=None, max_length=TEXT_MAX, description="the fact on record that implied an inferred one"
    )

    @model_validator(mode="before")
    @classmethod
    def _place_partial_date(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and isinstance(data.get("occurred_on"), int | float)
            and not isinstance(data.get("occurred_on"), bool)
        ):
            raise ValueError("occurred_on must be a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY), not a number")
        if isinstance(data, dict) and isinstance(data.get("occurred_on"), str):
            try:
                day, precision = parse_partial_date(data["occurred_on"])
            except ValueError:
                return data  # pydantic reports the malformed date with its field name
            data = {**data, "occurred_on": day}
            if precision is not DatePrecision.day:
                data.setdefault("date_precision", precision)
        return data

    @property
    def trigger(self) -> str:
        """The rulebook trigger this fact fires: the same verb as the aggregate's command."""
        return self.trigger_name

    def describe(self) -> str:
        return str(getattr(self, "type", type(self).__name__))


class CouncilRegistered(Fact):
    """A council enters the engine (its first fact; the stream id is derived from `code`)."""

    type: Literal["council_registered"] = "council_registered"
    trigger_name: ClassVar[str] = "register"
    code: CouncilText = Field(
        min_length=1, max_length=CODE_MAX, description="DfE three-digit LA code (the engine's code pattern decides)"
    )
    name: CouncilText = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=_VISIBLE)
    ons_code: CouncilText | None = Field(default=None, max_length=CODE_MAX, json_schema_extra=_VISIBLE)
    ofsted_urn: CouncilText | None = Field(default=None, max_length=CODE_MAX, json_schema_extra=_VISIBLE)
    region: CouncilText | None = Field(default=None, max_length=NAME_MAX, json_schema_extra=_VISIBLE)
    also_known_as: list[Annotated[CouncilText, Field(max_length=NAME_MAX, json_schema_extra=_VISIBLE)]] | None = Field(
        default=None, max_length=10, description="other names people give the council (councils.csv)"
    )
    record_complete: bool = Field(
        default=True,
        strict=True,
        description="the registering source keeps this council's whole record (every region) from this day on; "
        "importers of partial national records say false and declare what their sources cover (coverage_declared)",
    )


class Judgements(BaseModel):
    """The judgements of one report (ILACS-03); which are required depends on the framework."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    overall: Grade | None = None
    help_and_protection: Grade | None = None
    children_in_care: Grade | None = None
    care_leavers: Grade | None = None
    leadership: Grade | None = None
    adoption: Grade | None = None

    def key_grades(self) -> tuple[Grade | None, Grade | None, Grade | None]:
        """Help and protection, children in care, leadership: the judgements DFE-03 calls 'key'."""
        return self.help_and_protection, self.children_in_care, self.leadership


_REQUIRED: dict[Framework, tuple[str, ...]] = {
    Framework.pre_sif: ("overall",),
    Framework.sif: ("overall", "help_and_protection", "children_in_care", "leadership"),
    Framework.ilacs_2018: ("overall", "help_and_protection", "children_in_care", "leadership"),
    # The care-leavers judgement exists from January 2023 but is not in every report of the real record
    # (15 of 157 ILACS reports since 2023 in ofsted_inspections.csv lack it), so it is never required.
    Framework.ilacs_2023: ("overall", "help_and_protection", "children_in_care", "leadership"),
    Framework.ilacs_2026: ("help_and_protection", "children_in_care", "leadership"),
}


class InspectionPublished(Fact):
    """Ofsted published a graded inspection report; `occurred_on` is the publication date (ILACS-01..04)."""

    type: Literal["inspection_published"] = "inspection_published"
    trigger_name: ClassVar[str] = "publish_inspection"
    fieldwork_start: WorldDate
    fieldwork_end: WorldDate
    framework: Framework | None = Field(default=None, description="derived from fieldwork_start when omitted")
    inspection_type: InspectionType | None = Field(
        default=None, description="derived from the framework and the previous grade when omitted (ILACS-04)"
    )
    judgements: Judgements
    report_url: str | None = Field(default=None, max_length=REFERENCE_MAX)

    @model_validator(mode="after")
    def _check_framework_and_dates(self) -> InspectionPublished:
        if self.fieldwork_end < self.fieldwork_start:
            raise ValueError(f"fieldwork_end {self.fieldwork_end} is before fieldwork_start {self.fieldwork_start}")
        if self.occurred_on < self.fieldwork_end:
            raise ValueError(f"published on {self.occurred_on}, before fieldwork ended on {self.fieldwork_end}")
        expected = framework_on(self.fieldwork_start)
        if self.framework is None:
            object.__setattr__(self, "framework", expected)
        elif self.framework is not expected and not _overlaps(self.framework, self.fieldwork_start):
            raise ValueError(
                f"framework {self.framework.value} does not match fieldwork starting {self.fieldwork_start} "
                f"(that date falls under {expected.value}, ILACS-01)"
            )
        self._check_judgements(self.framework or expected)  # `or`: for the type checker; set just above
        return self

    def _check_judgements(self, framework: Framework) -> None:
        missing = [name for name in _REQUIRED[framework] if getattr(self.judgements, name) is None]
        if missing:
            raise ValueError(f"a {framework.value} report needs judgements: {', '.join(missing)}")
        overall = self.judgements.overall
        if framework is Framework.ilacs_2026 and overall not in (None, Grade.not_graded):
            raise ValueError("reports from April 2026 carry no overall grade (ILACS-01); leave overall empty")
        if framework is not Framework.ilacs_2026 and overall is Grade.not_graded:
            raise ValueError(f"a {framework.value} report has an overall grade; not_graded is for April 2026 on")

    @property
    def resolved_framework(self) -> Framework:
        return self.framework or framework_on(self.fieldwork_start)


class MonitoringVisitPublished(Fact):
    """Ofsted published a monitoring-visit letter for a council judged inadequate (ILACS-08)."""

    type: Literal["monitoring_visit_published"] = "monitoring_visit_published"
    trigger_name: ClassVar[str] = "record_monitoring_visit"
    visit_number: int | None = Field(default=None, ge=1, strict=True)


class FocusedVisitPublished(Fact):
    """Ofsted published a focused-visit letter, perhaps with areas for priority action (ILACS-05, ILACS-06)."""

    type: Literal["focused_visit_published"] = "focused_visit_published"
    trigger_name: ClassVar[str] = "record_focused_visit"
    topic: str | None = Field(default=None, max_length=NAME_MAX)
    priority_actions: bool = Field(default=False, strict=True)


class ActionPlanSubmitted(Fact):
    """The council sent Ofsted its post-inspection action plan (ILACS-07)."""

    type: Literal["action_plan_submitted"] = "action_plan_submitted"
    trigger_name: ClassVar[str] = "submit_action_plan"


class ImprovementNoticeIssued(Fact):
    """The DfE issued a (non-statutory) improvement notice (DFE-01, DFE-05)."""

    type: Literal["improvement_notice_issued"] = "improvement_notice_issued"
    trigger_name: ClassVar[str] = "issue_improvement_notice"
    adviser: str | None = Field(default=None, max_length=NAME_MAX)


class ImprovementNoticeLifted(Fact):
    """The DfE lifted the improvement notice; support and supervision follows (DFE-08)."""

    type: Literal["improvement_notice_lifted"] = "improvement_notice_lifted"
    trigger_name: ClassVar[str] = "lift_improvement_notice"


class StatutoryDirectionIssued(Fact):
    """The Secretary of State issued a statutory direction, or a revised one (DFE-01, DFE-03, DFE-06)."""

    type: Literal["statutory_direction_issued"] = "statutory_direction_issued"
    trigger_name: ClassVar[str] = "issue_statutory_direction"
    commissioner_review: bool = Field(
        strict=True, description="the direction appoints a commissioner to review the service"
    )
    revises_earlier: bool = Field(default=False, strict=True, description="a revised direction replacing the open one")
    commissioner: str | None = Field(default=None, max_length=NAME_MAX)

    @property
    def trigger(self) -> str:
        return "revise_statutory_direction" if self.revises_earlier else self.trigger_name


class StatutoryDirectionRevoked(Fact):
    """The Secretary of State revoked (closed) the direction (DFE-01, DFE-08)."""

    type: Literal["statutory_direction_revoked"] = "statutory_direction_revoked"
    trigger_name: ClassVar[str] = "revoke_statutory_direction"


class CommissionerAppointed(Fact):
    """A commissioner was appointed under a direction to review the service (DFE-03, DFE-06)."""

    type: Literal["commissioner_appointed"] = "commissioner_appointed"
    trigger_name: ClassVar[str] = "appoint_commissioner"
    commissioner: str | None = Field(default=None, max_length=NAME_MAX)


class Recommendation(StrEnum):
    """What a commissioner recommends (DFE-06)."""

    retain = "retain"
    retain_with_partner = "retain_with_partner"
    alternative_delivery = "alternative_delivery"


class CouncilStance(StrEnum):
    """Whether the council co-operates with removal of its services (DFE-03b)."""

    cooperative = "cooperative"
    resistant = "resistant"


class CommissionerReported(Fact):
    """The commissioner reported to the Secretary of State (DFE-06, DFE-03b)."""

    type: Literal["commissioner_reported"] = "commissioner_reported"
    trigger_name: ClassVar[str] = "receive_commissioner_report"
    recommendation: Recommendation
    council_stance: CouncilStance = CouncilStance.cooperative


class ProgressOutcome(StrEnum):
    sufficient = "sufficient"
    insufficient = "insufficient"


class ProgressReviewCompleted(Fact):
    """The DfE reviewed progress under a notice or direction (DFE-04, DFE-05, DFE-09)."""

    type: Literal["progress_review_completed"] = "progress_review_completed"
    trigger_name: ClassVar[str] = "complete_progress_review"
    outcome: ProgressOutcome


class DeliveryForm(StrEnum):
    """Alternative delivery models (DFE-07)."""

    partnership_trust = "partnership_trust"
    imposed_trust = "imposed_trust"
    council_company = "council_company"
    partner_council = "partner_council"
    other = "other"  # a form the source names but the engine does not distinguish (the DfE register's `other`)


class AlternativeDeliveryDecided(Fact):
    """The Secretary of State decided services will be delivered outside the council's direct control (DFE-07)."""

    type: Literal["alternative_delivery_decided"] = "alternative_delivery_decided"
    trigger_name: ClassVar[str] = "decide_alternative_delivery"
    form: DeliveryForm
    provider: str | None = Field(default=None, max_length=NAME_MAX)


class AlternativeDeliveryLive(Fact):
    """The trust, company or partner council took over delivery (DFE-07)."""

    type: Literal["alternative_delivery_live"] = "alternative_delivery_live"
    trigger_name: ClassVar[str] = "start_alternative_delivery"
    provider: str | None = Field(default=None, max_length=NAME_MAX)
    form: DeliveryForm | None = Field(
        default=None, description="the form, when the source gives it (an inferred decision takes it, DFE-07)"
    )


class AlternativeDeliveryEnded(Fact):
    """Delivery returned to the council (DFE-07)."""

    type: Literal["alternative_delivery_ended"] = "alternative_delivery_ended"
    trigger_name: ClassVar[str] = "end_alternative_delivery"


class SupportAndSupervisionEnded(Fact):
    """The year of DfE support and supervision after a notice was lifted came to an end (DFE-08)."""

    type: Literal["support_and_supervision_ended"] = "support_and_supervision_ended"
    trigger_name: ClassVar[str] = "end_support_and_supervision"


class Region(StrEnum):
    """The lifecycle's regions (DESIGN decision 4), as sources name what they cover."""

    judgement = "judgement"
    instrument = "instrument"
    delivery = "delivery"
    supervision = "supervision"


class CoverageDeclared(Fact):
    """A source says it holds everything that happened in these regions of the council's life over a span
    (DESIGN decision 12): a scenario file or research timeline covers every region over its span, the Ofsted CSV
    the judgements. Where no source covers a region, its state is "nothing on record", and a policy expectation
    missed there is `unverified`, not `missed`. It moves no state; `occurred_on` is when it was declared."""

    type: Literal["coverage_declared"] = "coverage_declared"
    trigger_name: ClassVar[str] = "declare_coverage"
    regions: tuple[Region, ...] = Field(min_length=1)
    covers_from: FactDate
    covers_until: FactDate | None = Field(default=None, description="open-ended when omitted")

    @model_validator(mode="after")
    def _span(self) -> CoverageDeclared:
        if self.covers_until is not None and self.covers_until < self.covers_from:
            raise ValueError(f"covers_until {self.covers_until} is before covers_from {self.covers_from}")
        return self


class NoteRecorded(Fact):
    """Something the record mentions that moves no state: an inquiry, a restructure, a replaced commissioner.

    Importers keep events they cannot express as other facts this way, so nothing is dropped in silence.
    """

    type: Literal["note_recorded"] = "note_recorded"
    trigger_name: ClassVar[str] = "record_note"
    kind: str = Field(
        min_length=1, max_length=NAME_MAX, description="what the source called it, e.g. independent_inquiry"
    )
    detail: str | None = Field(default=None, max_length=TEXT_MAX)


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
