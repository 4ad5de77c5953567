"""The DfE's facts: improvement notices, statutory directions, commissioners, progress reviews, alternative
delivery and support and supervision (DFE-01..09)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from .base import NAME_MAX, Fact


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
