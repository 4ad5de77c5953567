"""Ofsted's facts: graded inspections under each framework (ILACS-01..04), monitoring and focused visits
(ILACS-05, ILACS-06, ILACS-08) and the council's action plan after an inspection (ILACS-07)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..dates import WorldDate
from .base import NAME_MAX, REFERENCE_MAX, Fact


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
