"""How the DfE reacts to Ofsted and to its own instruments: the mechanism shared by every DfE regime.

Each regime module (`dfe_2013`, `dfe_2013_11`, `dfe_2015`, `dfe_2016`, `dfe_2022`, `dfe_2026`) is a `DfERegime`:
data saying which rules were in force and with which numbers. This module turns a regime into reactions: timers
(DFE-04..09) and expectations that become deviations when missed or contradicted (DFE-02, DFE-03, DFE-04, DFE-07,
DFE-08).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..calendar import WorkingDayCalendar, add_months
from ..facts import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Fact,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    InspectionPublished,
    ProgressOutcome,
    ProgressReviewCompleted,
    Recommendation,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
)
from .framework import framework_of, framework_of_fact
from .reactions import (
    CouncilView,
    DeviationRequest,
    ExpectationRequest,
    FiredTimer,
    Reactions,
    TimerChange,
    TimerRequest,
)

NOTICE = {"type": "improvement_notice_issued"}
DIRECTION = {"type": "statutory_direction_issued"}
DIRECTION_WITH_COMMISSIONER = {"type": "statutory_direction_issued", "commissioner_review": True}
DIRECTION_WITHOUT_COMMISSIONER = {"type": "statutory_direction_issued", "commissioner_review": False}
COMMISSIONER = {"type": "commissioner_appointed"}
ADM_DECIDED = {"type": "alternative_delivery_decided"}

NOTICE_TIMERS = ("improvement_plan_due", "dfe_progress_review", "diagnostic_review_due", "adviser_report_due")
DIRECTION_TIMERS = ("commissioner_report_due", "commissioner_update_due", "adviser_review_due")
GO_LIVE_TIMERS = ("alternative_delivery_window_opens", "alternative_delivery_due")

CONTINUES = "intervention_continues"  # DFE-08: what is open stays open until a report no longer inadequate
# Every kind of expectation these policies open, in the order of the regime's steps (`counterfactual --kind`).
EXPECTATION_KINDS = (
    "dfe_intervention", "improvement_notice", "direction_with_commissioner", "direction_after_insufficient_progress",
    "removal_from_council", "alternative_delivery_decided", "alternative_delivery_live", CONTINUES, "notice_lifted",
    "direction_revoked",
)  # fmt: skip


@dataclass(frozen=True)
class DfERegime:
    """One era of DfE intervention policy (DFE-10): which rules applied and with which numbers."""

    version: str
    in_force_from: dt.date
    source: str
    decides_track: bool = False  # DFE-03: persistent or systemic → commissioner, otherwise notice
    commissioner_for_failure: bool = False  # DFE-03 validation: the record's commissioners before the 2016 rule
    persistent_taken_over: bool = False  # DFE-04: persistently failing services taken over immediately
    six_month_rule: bool = False  # DFE-04
    diagnostic_review: bool = False  # DFE-05a
    presumption_of_removal: bool = False  # DFE-03 (2022 wording)
    lookback_years: int = 5  # DFE-03 (high)
    response_months: int = 6  # DFE-03a, DFE-06: notice or direction usually within weeks; Tower Hamlets took 5 months
    improvement_plan_months: int = 2  # DFE-05 (medium)
    progress_review_months: int = 6  # DFE-05 (high)
    diagnostic_months: int = 3  # DFE-05a (medium)
    adviser_report_months: int = 6  # DFE-05a (medium)
    escalation_months: int = 3  # DFE-04/05: direction after insufficient progress (low: no source gives a lag)
    commissioner_report_months: int = 3  # DFE-06 (high)
    commissioner_update_months: int = 3  # DFE-09 (medium)
    adviser_review_months: int = 6  # DFE-09 (medium)
    removal_months: int = 12  # DFE-03b: trust "within the year" (medium)
    presumption_months: int = 18  # DFE-03 2022: a commissioner review (3) and a decision within the year (low)
    go_live_window_months: tuple[int, int] = (14, 23)  # DFE-07 (high)
    notice_lift_months: int = 3  # DFE-08: lifted on or soon after the better report (medium)
    # DFE-08: from the first report no longer inadequate to the direction's revocation. The longest real case
    # (register, timelines, scenarios) is Birmingham: RI published 17 Jan 2019, direction revoked 26 May 2023, 52
    # months and 9 days; then Stoke-on-Trent (26 months), Reading (15). 54 months leaves a margin of about two
    # months (Birmingham's deadline 17 Jul 2023, 52 days after its revocation) for cases not yet on record.
    direction_revocation_months: int = 54
    supervision_months: int = 12  # DFE-08 (medium)


class DfEInterventionPolicy:
    """Reactions of one DfE regime to facts and to the timers it set."""

    def __init__(self, regime: DfERegime) -> None:
        self.regime = regime
        self.version = regime.version

    def react_to_fact(self, council: CouncilView, fact: Fact, calendar: WorkingDayCalendar) -> Reactions:
        if isinstance(fact, InspectionPublished):
            return self._after_inspection(council, fact)
        handler = _FACT_HANDLERS.get(type(fact))
        return handler(self, council, fact) if handler else Reactions()

    def react_to_timer(self, council: CouncilView, timer: FiredTimer, calendar: WorkingDayCalendar) -> Reactions:
        r, instrument = self.regime, council.states["instrument"]
        direction_open = instrument in ("statutory_direction", "commissioner_review")
        repeat = {
            "dfe_progress_review": (instrument == "improvement_notice", r.progress_review_months, "DFE-05"),
            "adviser_review_due": (direction_open, r.adviser_review_months, "DFE-09"),
            "commissioner_update_due": (direction_open, r.commissioner_update_months, "DFE-09"),
        }
        if timer.kind in repeat and repeat[timer.kind][0] and not council.pending_of(timer.kind):
            _, months, rule = repeat[timer.kind]
            return Reactions(schedule=[TimerRequest(timer.kind, add_months(timer.due_on, months), rule)])
        if timer.kind == "support_and_supervision_ends" and council.states["supervision"] == "support_and_supervision":
            ended = SupportAndSupervisionEnded(
                occurred_on=timer.due_on, source="rule DFE-08: twelve months after the improvement notice was lifted"
            )
            return Reactions(record=[ended])
        return Reactions()

    # ----------------------------------------------------------------------------------------------------------
    # Inspections: the decision tree of DFE-02/03/04 and the exit rules of DFE-08.

    def _after_inspection(self, council: CouncilView, fact: InspectionPublished) -> Reactions:
        framework = framework_of_fact(fact)
        if framework.is_inadequate(fact.judgements):
            return self._after_inadequate(council, fact, framework.is_systemic(fact.judgements))
        return self._after_recovery(council, fact.occurred_on)

    def _after_inadequate(self, council: CouncilView, fact: InspectionPublished, systemic: bool) -> Reactions:
        """DFE-02/03/04 for a council run by the council with nothing open; escalation or continuation otherwise.

        Already intervened in (a notice, a direction, services out of the council's hands), a council judged
        inadequate again gets the commissioner its failure calls for where none is in place (escalation, DFE-03 or
        DFE-04), otherwise the continuation of what is open until a report no longer inadequate (DFE-08).
        """
        r, on = self.regime, fact.occurred_on
        persistent = self.is_persistent_failure(council, on)
        due = add_months(on, r.response_months)
        expect: list[ExpectationRequest] = []
        why = _failure_words(persistent, systemic)
        rule = self.commissioner_rule(persistent, systemic)
        if rule is not None and not _commissioner_in_place(council):
            expect.append(_commissioner_expected(why, rule, due, published=self._published(persistent)))
        elif _intervened(council):
            expect.append(_continuation_expected(council, why))
        elif r.decides_track:
            expect.append(
                ExpectationRequest(
                    "improvement_notice", "DFE-03", f"an improvement notice with an adviser ({why})", due,
                    meets=(NOTICE,), contradicts=(DIRECTION,),
                )
            )  # fmt: skip
        else:
            expect.append(
                ExpectationRequest(
                    "dfe_intervention", "DFE-02", f"an improvement notice or a statutory direction ({why})", due,
                    meets=(NOTICE, DIRECTION, COMMISSIONER, ADM_DECIDED),
                )
            )  # fmt: skip
        if rule is not None and r.presumption_of_removal and council.states["delivery"] == "council":
            expect.append(_removal_expected(why, add_months(on, r.presumption_months)))
        schedule = [TimerRequest("six_month_progress_check", add_months(on, 6), "DFE-04")] if r.six_month_rule else []
        withdraw = ("notice_lifted", "direction_revoked", CONTINUES)
        return Reactions(schedule=schedule, expect=expect, withdraw=withdraw)

    def commissioner_rule(self, persistent: bool, systemic: bool) -> str | None:
        """The rule by which this regime expects a direction with a commissioner for a failure, or None.

        DFE-03 from July 2016 (persistent or systemic); DFE-04 from December 2015 (persistent); DFE-03's validation
        from November 2013 (persistent or systemic, as the record shows before any published rule).
        """
        r = self.regime
        if r.decides_track and (persistent or systemic):
            return "DFE-03"
        if r.persistent_taken_over and persistent:
            return "DFE-04"
        if r.commissioner_for_failure and (persistent or systemic):
            return "DFE-03"
        return None

    def _published(self, persistent: bool) -> bool:
        """Whether a published rule prescribed the commissioner (DFE-03 2016, DFE-04 2015), not only the record."""
        return self.regime.decides_track or (self.regime.persistent_taken_over and persistent)

    def is_persistent_failure(self, council: CouncilView, on: dt.date) -> bool:
        """DFE-03 `is_persistent_failure`: another inadequate judgement in the five years before this one."""
        since = add_months(on, -12 * self.regime.lookback_years).isoformat()
        earlier = council.inspections[:-1]
        return any(
            since <= inspection["published_on"] < on.isoformat()
            and framework_of(inspection).judges_inadequate(inspection)
            for inspection in earlier
        )

    def _after_recovery(self, council: CouncilView, on: dt.date) -> Reactions:
        r, instrument = self.regime, council.states["instrument"]
        withdraw = ("direction_after_insufficient_progress", CONTINUES)
        if instrument == "improvement_notice":
            expected = "the improvement notice lifted after a report no longer inadequate"
            due = add_months(on, r.notice_lift_months)
            wanted = ExpectationRequest(
                "notice_lifted", "DFE-08", expected, due, meets=({"type": "improvement_notice_lifted"},)
            )
            return Reactions(expect=[wanted], withdraw=withdraw)
        if (
            instrument in ("statutory_direction", "commissioner_review")
            and "direction_revoked" not in council.open_expectations
        ):
            expected = "the statutory direction revoked after a report no longer inadequate"
            due = add_months(on, r.direction_revocation_months)
            wanted = ExpectationRequest(
                "direction_revoked", "DFE-08", expected, due, meets=({"type": "statutory_direction_revoked"},)
            )
            return Reactions(expect=[wanted], withdraw=withdraw)
        return Reactions(withdraw=withdraw)

    # ----------------------------------------------------------------------------------------------------------
    # DfE instruments.

    def _after_notice(self, council: CouncilView, fact: Fact) -> Reactions:
        r, on = self.regime, fact.occurred_on
        schedule = [
            TimerRequest("improvement_plan_due", add_months(on, r.improvement_plan_months), "DFE-05"),
            TimerRequest("dfe_progress_review", add_months(on, r.progress_review_months), "DFE-05"),
        ]
        if r.diagnostic_review:
            schedule += [
                TimerRequest("diagnostic_review_due", add_months(on, r.diagnostic_months), "DFE-05a"),
                TimerRequest("adviser_report_due", add_months(on, r.adviser_report_months), "DFE-05a"),
            ]
        return Reactions(schedule=schedule)

    def _after_notice_lifted(self, council: CouncilView, fact: Fact) -> Reactions:
        due = add_months(fact.occurred_on, self.regime.supervision_months)
        change = [
            TimerChange(kind, "improvement notice lifted") for kind in (*NOTICE_TIMERS, "six_month_progress_check")
        ]
        change.append(TimerChange("support_and_supervision_ends", "support and supervision restarted"))
        return Reactions(
            schedule=[TimerRequest("support_and_supervision_ends", due, "DFE-08")],
            change=change,
            withdraw=("direction_after_insufficient_progress",),
        )

    def _after_progress_review(self, council: CouncilView, fact: Fact) -> Reactions:
        assert isinstance(fact, ProgressReviewCompleted)
        if fact.outcome is not ProgressOutcome.insufficient or council.states["instrument"] != "improvement_notice":
            return Reactions()
        due = add_months(fact.occurred_on, self.regime.escalation_months)
        wanted = ExpectationRequest(
            "direction_after_insufficient_progress", "DFE-04", "a statutory direction after insufficient progress", due,
            meets=(DIRECTION, COMMISSIONER), contradicts=({"type": "improvement_notice_lifted"},),
        )  # fmt: skip
        return Reactions(expect=[wanted])

    def _after_direction(self, council: CouncilView, fact: Fact) -> Reactions:
        assert isinstance(fact, StatutoryDirectionIssued)
        change = [TimerChange(kind, "statutory direction issued") for kind in (*NOTICE_TIMERS, *DIRECTION_TIMERS)]
        if fact.commissioner_review:
            return Reactions(change=change, schedule=[self._commissioner_report(fact.occurred_on)])
        if council.details.get("direction_led_by") == "commissioner":
            months, kind = self.regime.commissioner_update_months, "commissioner_update_due"
        else:
            months, kind = self.regime.adviser_review_months, "adviser_review_due"
        return Reactions(change=change, schedule=[TimerRequest(kind, add_months(fact.occurred_on, months), "DFE-09")])

    def _after_commissioner_appointed(self, council: CouncilView, fact: Fact) -> Reactions:
        change = [TimerChange(kind, "commissioner appointed") for kind in DIRECTION_TIMERS]
        return Reactions(change=change, schedule=[self._commissioner_report(fact.occurred_on)])

    def _commissioner_report(self, on: dt.date) -> TimerRequest:
        return TimerRequest("commissioner_report_due", add_months(on, self.regime.commissioner_report_months), "DFE-06")

    def _after_commissioner_report(self, council: CouncilView, fact: Fact) -> Reactions:
        assert isinstance(fact, CommissionerReported)
        r, on = self.regime, fact.occurred_on
        change = [TimerChange("commissioner_report_due", "commissioner reported")]
        schedule = [TimerRequest("commissioner_update_due", add_months(on, r.commissioner_update_months), "DFE-09")]
        expect = []
        if fact.recommendation is Recommendation.alternative_delivery and council.states["delivery"] == "council":
            form = "an imposed trust" if fact.council_stance.value == "resistant" else "a partnership trust"
            expect.append(
                ExpectationRequest(
                    "alternative_delivery_decided", "DFE-03b", f"a decision to move services to {form}",
                    add_months(on, r.removal_months), meets=(ADM_DECIDED,),
                )
            )  # fmt: skip
        return Reactions(change=change, schedule=schedule, expect=expect)

    def _after_direction_revoked(self, council: CouncilView, fact: Fact) -> Reactions:
        change = [TimerChange(kind, "statutory direction revoked") for kind in DIRECTION_TIMERS]
        return Reactions(change=change, withdraw=("direction_after_insufficient_progress", "removal_from_council"))

    def _after_delivery_decided(self, council: CouncilView, fact: Fact) -> Reactions:
        r, on = self.regime, fact.occurred_on
        opens, closes = r.go_live_window_months
        deviations = []
        imposed = council.details.get("delivery_form") == "imposed_trust"
        if council.states["instrument"] == "none" and not imposed:
            # DFE-07: alternative delivery is the DfE's remedy under a direction (or imposed by the minister, as in
            # Slough 2014); one with no intervention open is a voluntary arrangement.
            deviations.append(
                DeviationRequest(
                    "voluntary_alternative_delivery", "DFE-07", "alternative delivery decided under an intervention",
                    "alternative delivery decided with no notice or direction open (a voluntary arrangement)",
                )
            )  # fmt: skip
        return Reactions(
            deviations=deviations,
            schedule=[
                TimerRequest("alternative_delivery_window_opens", add_months(on, opens), "DFE-07"),
                TimerRequest("alternative_delivery_due", add_months(on, closes), "DFE-07"),
            ],
            expect=[
                ExpectationRequest(
                    "alternative_delivery_live", "DFE-07", "the new delivery arrangement live",
                    add_months(on, closes + 1), meets=({"type": "alternative_delivery_live"},),
                )
            ],
        )  # fmt: skip

    def _after_delivery_live(self, council: CouncilView, fact: Fact) -> Reactions:
        return Reactions(change=[TimerChange(kind, "alternative delivery live") for kind in GO_LIVE_TIMERS])

    def _after_supervision_ended(self, council: CouncilView, fact: Fact) -> Reactions:
        return Reactions(change=[TimerChange("support_and_supervision_ends", "support and supervision ended")])


def _failure_words(persistent: bool, systemic: bool) -> str:
    """DFE-03 in words: which kinds of failure the judgement shows."""
    parts = ["persistent failure: inadequate twice within five years"] if persistent else []
    parts += ["systemic failure: every key judgement inadequate"] if systemic else []
    return "; ".join(parts) or "first inadequate judgement, not systemic"


def _commissioner_in_place(council: CouncilView) -> bool:
    """A commissioner's review or a commissioner-led direction is open, or services are out of the council's hands."""
    instrument, led_by = council.states["instrument"], council.details.get("direction_led_by")
    return (
        council.states["delivery"] != "council"
        or instrument == "commissioner_review"
        or (instrument == "statutory_direction" and led_by == "commissioner")
    )


def _intervened(council: CouncilView) -> bool:
    return council.states["delivery"] != "council" or council.states["instrument"] != "none"


def _continuation_expected(council: CouncilView, why: str) -> ExpectationRequest:
    """DFE-08 (with DFE-01: a direction stays until revoked; DFE-05: a notice until no longer required): inadequate
    again, the council keeps what is open until a report no longer inadequate. No deadline: only ending it early
    (lifting, revoking, services back with the council) contradicts it; the next better report withdraws it."""
    until = "until a report no longer inadequate"
    if council.states["delivery"] != "council":
        return ExpectationRequest(
            CONTINUES, "DFE-08", f"services kept in alternative delivery, under direction, {until} ({why})", None,
            meets=(), contradicts=({"type": "alternative_delivery_ended"}, {"type": "statutory_direction_revoked"}),
        )  # fmt: skip
    if council.states["instrument"] == "improvement_notice":
        return ExpectationRequest(
            CONTINUES, "DFE-08", f"the improvement notice kept, or a stronger instrument, {until} ({why})", None,
            meets=(DIRECTION, COMMISSIONER, ADM_DECIDED), contradicts=({"type": "improvement_notice_lifted"},),
        )  # fmt: skip
    return ExpectationRequest(
        CONTINUES, "DFE-08", f"the statutory direction kept in force {until} ({why})", None,
        meets=(), contradicts=({"type": "statutory_direction_revoked"},),
    )  # fmt: skip


def _commissioner_expected(why: str, rule: str, due: dt.date, *, published: bool) -> ExpectationRequest:
    """A direction with a commissioner, or alternative delivery. Where only the record (DFE-03 validation), not a
    published rule, says so, a weaker instrument contradicts nothing: a commissioner may still follow it in time."""
    return ExpectationRequest(
        "direction_with_commissioner", rule, f"a statutory direction with a commissioner ({why})", due,
        meets=(DIRECTION_WITH_COMMISSIONER, COMMISSIONER, ADM_DECIDED),
        contradicts=(NOTICE, DIRECTION_WITHOUT_COMMISSIONER) if published else (),
    )  # fmt: skip


def _removal_expected(why: str, due: dt.date) -> ExpectationRequest:
    retained = tuple(
        {"type": "commissioner_reported", "recommendation": r.value}
        for r in Recommendation
        if r.value != "alternative_delivery"
    )
    return ExpectationRequest(
        "removal_from_council", "DFE-03",
        f"services removed from council control unless there are compelling reasons ({why}; 2022 presumption)",
        due, meets=(ADM_DECIDED,), contradicts=retained,
    )  # fmt: skip


_Handler = Any
_FACT_HANDLERS: Mapping[type[Fact], _Handler] = {
    ImprovementNoticeIssued: DfEInterventionPolicy._after_notice,
    ImprovementNoticeLifted: DfEInterventionPolicy._after_notice_lifted,
    ProgressReviewCompleted: DfEInterventionPolicy._after_progress_review,
    StatutoryDirectionIssued: DfEInterventionPolicy._after_direction,
    CommissionerAppointed: DfEInterventionPolicy._after_commissioner_appointed,
    CommissionerReported: DfEInterventionPolicy._after_commissioner_report,
    StatutoryDirectionRevoked: DfEInterventionPolicy._after_direction_revoked,
    AlternativeDeliveryDecided: DfEInterventionPolicy._after_delivery_decided,
    AlternativeDeliveryLive: DfEInterventionPolicy._after_delivery_live,
    SupportAndSupervisionEnded: DfEInterventionPolicy._after_supervision_ended,
}
