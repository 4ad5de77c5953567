"""The world model: the facts nobody scripted, for branches and Monte Carlo runs (DESIGN decision 9).

Two actors move a simulated council. **Ofsted** inspects (`outcomes.py`: calibrated on the real record, or from a
script of outcomes). **The DfE** acts on the policy's open
expectations (DFE-02, DFE-03, DFE-03b, DFE-07, DFE-08) after a lag drawn from the real cases, never later than the
expectation's deadline, and the commissioner reports when the policy's `commissioner_report_due` timer falls due
(DFE-06). Everything drawn comes from a `random.Random` per council and run, in a fixed order, so the same seed
gives the same facts whether the full engine (`forward.py`) or the compact kernel (`kernel.py`) plays them.

Every fact built here has `simulated=True`. Days are proleptic ordinals (`date.toordinal()`), as in the kernel.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from ..calendar import OFSTED_PAUSE, WorkingDayCalendar, add_months
from ..facts import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryEnded,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Fact,
    FocusedVisitPublished,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    MonitoringVisitPublished,
    ProgressReviewCompleted,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
)
from .calibration import Calibration
from .outcomes import (
    CalibratedOutcomes,
    LastInspection,
    OutcomeModel,
    PlannedInspection,
    ScriptedInspection,
    ScriptedOutcomes,
    day_of,
)
from .parameters import DEFAULT_LAGS, MIN_CASES, world_parameters

# The world's actions, numbered for the kernel's tables: the DfE's, then Ofsted's visits and services returning.
NOTICE, DIRECTION, APPOINT, REPORT_RETAIN, REPORT_ADM = range(5)
ADM_DECIDED, ADM_LIVE, LIFT, REVOKE, SUPERVISION_ENDED = range(5, 10)
REVIEW_SUFFICIENT, REVIEW_INSUFFICIENT, MONITORING_VISIT, FOCUSED_VISIT, SERVICES_RETURNED = range(10, 15)
ACTIONS = 15

# Timers of the DfE's reviews the world answers with a progress review (DFE-05 six-monthly; DFE-04 six-month check).
PROGRESS_REVIEW, SIX_MONTH_CHECK = "dfe_progress_review", "six_month_progress_check"
REVIEW_TIMERS = (PROGRESS_REVIEW, SIX_MONTH_CHECK)
ILACS_FROM = dt.date(2018, 1, 1).toordinal()  # ILACS-05: focused visits belong to the ILACS framework
PLAN_AND_FIRST_VISIT_WORKING_DAYS = 70 + 20  # ILACS-07 action plan, then the first monitoring visit (ILACS-08)
MONITORING_MONTHS = 3  # ILACS-08: quarterly
RETURN_RETRY_MONTHS = 12  # services not handed back while the council is judged inadequate: looked at a year on


@dataclass(frozen=True)
class WorldSwitches:
    """The world model's dynamics, each named, each switchable off (a sweep varies them), each with its rule.

    - `progress_reviews` (DFE-05, DFE-04): the DfE reviews progress under an improvement notice every six months;
      an insufficient review leads to a direction with a commissioner (the policy's expectation), at the record's
      rate of escalation per review (`DfEResponses.p_insufficient`).
    - `six_month_check` (DFE-04): from December 2015, the six-month check after an inadequate judgement is a review
      that acts (the same rate), not a timer that fires and opens nothing.
    - `services_return` (DFE-07): services in a trust or with a partner council come back to the council after a
      duration drawn from the record's (exponential, at the record's rate of returns per year of alternative
      delivery), never while the council is judged inadequate.
    - `monitoring_visits` (ILACS-08): quarterly monitoring visits while inadequate, the first 90 working days after
      the report (action plan, then the first visit), recorded as simulated facts.
    - `focused_visits` (ILACS-05): one focused visit between two graded inspections of a council not inadequate.
    - `ofsted_pause` (ILACS-04, ILACS-08): no graded inspection in the 2020-21 pause; intervals drawn in active days
      (`calendar.OfstedPause`), so an interval across the pause is stretched by it as the record's were. Off: the
      record's raw intervals, with no pause.
    - `framework_2026` (ILACS-01, ILACS-12): reports from April 2026 carry no overall grade (the facts refuse one,
      so this cannot be switched off in the world itself); the outcome model draws the worst key judgement, and with
      this on the projection reports ungraded councils by it (`kernel.READOUTS` ungraded_worst_*) in place of the
      overall grade. Off: they are counted as "ungraded" only, as before.
    """

    progress_reviews: bool = True
    six_month_check: bool = True
    services_return: bool = True
    monitoring_visits: bool = True
    focused_visits: bool = True
    ofsted_pause: bool = True
    framework_2026: bool = True

    RULES: ClassVar[dict[str, str]] = {
        "progress_reviews": "DFE-05, DFE-04", "six_month_check": "DFE-04", "services_return": "DFE-07",
        "monitoring_visits": "ILACS-08", "focused_visits": "ILACS-05", "ofsted_pause": "ILACS-04, ILACS-08",
        "framework_2026": "ILACS-01, ILACS-12",
    }  # fmt: skip

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def none(cls) -> WorldSwitches:
        """Every dynamic off: the world model as it was before they existed."""
        return cls(**dict.fromkeys(cls.names(), False))

    def to_dict(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in self.names()}


@dataclass(frozen=True)
class Response:
    """How the DfE answers one kind of expectation: the calibrated lag and the facts that would meet it, in order
    of preference (the first one the rulebook allows is recorded)."""

    step: str
    actions: tuple[int, ...]


# Expectation kinds (policies/dfe_intervention.py) → the DfE's answer. `removal_from_council` (the 2022
# presumption) has none of its own: the commissioner answers it by recommending alternative delivery.
RESPONSES: dict[str, Response] = {
    "improvement_notice": Response("inadequate_to_instrument", (NOTICE,)),  # DFE-03
    "dfe_intervention": Response("inadequate_to_instrument", (NOTICE,)),  # DFE-02
    "direction_with_commissioner": Response("inadequate_to_instrument", (DIRECTION, APPOINT)),  # DFE-03, DFE-04
    "direction_after_insufficient_progress": Response("inadequate_to_instrument", (DIRECTION, APPOINT)),  # DFE-04
    "alternative_delivery_decided": Response("report_to_alternative_delivery_decided", (ADM_DECIDED,)),  # DFE-03b
    "alternative_delivery_live": Response("alternative_delivery_decided_to_live", (ADM_LIVE,)),  # DFE-07
    "notice_lifted": Response("recovery_to_notice_lifted", (LIFT,)),  # DFE-08
    "direction_revoked": Response("recovery_to_direction_revoked", (REVOKE,)),  # DFE-08
}

_SOURCE = "simulated by the world model"


# ----------------------------------------------------------------------------------------------------------------
# The DfE.


@dataclass
class DfEResponses:
    """The DfE's lags (drawn from the real cases, or fixed) and the commissioner's recommendation (DFE-06)."""

    calibration: Calibration
    fixed_lags: int | Mapping[str, int] | None = None
    p_alternative_delivery: float | None = None
    p_insufficient: float | None = None  # per DfE review under a notice (DFE-04/05); None: the record's rate
    returns_per_year: float | None = None  # services back with the council, per year of alternative delivery (DFE-07)
    _p: float = field(init=False)
    _p_insufficient: float = field(init=False)
    _returns_per_day: float = field(init=False)

    def __post_init__(self) -> None:
        # The values alone: a world model (one per sweep variant) draws no bootstrap interval.
        used = {parameter.name: parameter.used for parameter in world_parameters(self.calibration, intervals=False)}
        chosen = self.p_alternative_delivery
        self._p = chosen if chosen is not None else used["commissioner_recommends_alternative_delivery"]
        chosen = self.p_insufficient
        self._p_insufficient = chosen if chosen is not None else used["insufficient_progress_per_review"]
        chosen = self.returns_per_year
        self._returns_per_day = (chosen if chosen is not None else used["services_return_per_year"]) / 365.25

    def review_insufficient(self, rng: random.Random) -> bool:
        """DFE-05/DFE-04: whether a progress review finds progress insufficient; one draw, always."""
        return rng.random() < self._p_insufficient

    def return_after(self, rng: random.Random) -> int:
        """DFE-07: days from services going live out of the council to their return; one draw, always."""
        u = rng.random()
        if self._returns_per_day <= 0:
            return 1 << 30
        return int(-math.log(1.0 - u) / self._returns_per_day)

    def lag(self, rng: random.Random, step: str) -> int:
        """Days from the expectation opening to the DfE's act; one draw, always."""
        u = rng.random()
        if isinstance(self.fixed_lags, int):
            return self.fixed_lags
        if self.fixed_lags is not None and step in self.fixed_lags:
            return self.fixed_lags[step]
        samples = self.calibration.samples.get(f"dfe:{step}", [])
        return samples[int(u * len(samples))] if len(samples) >= MIN_CASES else DEFAULT_LAGS.get(step, 0)

    def recommends_alternative_delivery(self, rng: random.Random, removal_expected: bool) -> bool:
        """DFE-03b/06: the commissioner recommends moving services out when the 2022 presumption expects it, and
        otherwise as often as the real reviews did; one draw, always."""
        u = rng.random()
        return removal_expected or u < self._p


def response_day(opened: int, lag: int, due: int | None, today: int) -> int:
    """The DfE acts `lag` days after the expectation opened, not before today and not after its deadline."""
    day = max(opened + lag, today)
    return min(day, due) if due is not None else day


def action_fact(action: int, day: int, *, because: str = "") -> Fact:
    """The fact of one DfE action on a day, marked simulated."""
    on, source = day_of(day), f"{_SOURCE}: DfE" + (f" ({because})" if because else "")
    common: dict[str, Any] = {"occurred_on": on, "simulated": True, "source": source}
    builders: dict[int, Any] = {
        NOTICE: lambda: ImprovementNoticeIssued(**common),
        DIRECTION: lambda: StatutoryDirectionIssued(commissioner_review=True, **common),
        APPOINT: lambda: CommissionerAppointed(**common),
        REPORT_RETAIN: lambda: CommissionerReported(recommendation="retain", **common),
        REPORT_ADM: lambda: CommissionerReported(recommendation="alternative_delivery", **common),
        ADM_DECIDED: lambda: AlternativeDeliveryDecided(form="partnership_trust", **common),
        ADM_LIVE: lambda: AlternativeDeliveryLive(**common),
        LIFT: lambda: ImprovementNoticeLifted(**common),
        REVOKE: lambda: StatutoryDirectionRevoked(**common),
        SUPERVISION_ENDED: lambda: SupportAndSupervisionEnded(**common),
        REVIEW_SUFFICIENT: lambda: ProgressReviewCompleted(outcome="sufficient", **common),
        REVIEW_INSUFFICIENT: lambda: ProgressReviewCompleted(outcome="insufficient", **common),
        MONITORING_VISIT: lambda: MonitoringVisitPublished(**{**common, "source": f"{_SOURCE}: Ofsted"}),
        FOCUSED_VISIT: lambda: FocusedVisitPublished(**{**common, "source": f"{_SOURCE}: Ofsted"}),
        SERVICES_RETURNED: lambda: AlternativeDeliveryEnded(**common),
    }
    fact: Fact = builders[action]()
    return fact


# ----------------------------------------------------------------------------------------------------------------
# The world, and its seeds.


@dataclass
class WorldModel:
    """Ofsted's outcomes and the DfE's responses; `fill_gaps` lets the DfE act, on the first day, on an instrument
    the record expected after the latest inadequate judgement but does not hold (the national CSV has no DfE facts)."""

    outcomes: OutcomeModel
    dfe: DfEResponses
    fill_gaps: bool = True
    switches: WorldSwitches = WorldSwitches()

    @classmethod
    def calibrated(
        cls,
        calibration: Calibration,
        *,
        fixed_lags: int | Mapping[str, int] | None = None,
        p_alternative_delivery: float | None = None,
        script: Mapping[str, Sequence[ScriptedInspection]] | None = None,
        fill_gaps: bool = True,
        switches: WorldSwitches | None = None,
    ) -> WorldModel:
        switches = switches or WorldSwitches()
        outcomes: OutcomeModel = CalibratedOutcomes(calibration, pause=OFSTED_PAUSE if switches.ofsted_pause else None)
        if script is not None:
            outcomes = ScriptedOutcomes(script, then=outcomes)
        return cls(outcomes, DfEResponses(calibration, fixed_lags, p_alternative_delivery), fill_gaps, switches)

    def reviews(self, kind: str) -> bool:
        """Whether the world answers a DfE review timer of this kind (DFE-05 six-monthly, DFE-04 six-month check)."""
        return self.switches.progress_reviews if kind == PROGRESS_REVIEW else self.switches.six_month_check


# ----------------------------------------------------------------------------------------------------------------
# Ofsted's visits between graded inspections: dates only, nothing drawn (both sides compute them alike).


@lru_cache(maxsize=1 << 14)
def _first_visit(published: int) -> int:
    first = _calendar().add_working_days(day_of(published), PLAN_AND_FIRST_VISIT_WORKING_DAYS)
    return OFSTED_PAUSE.unpaused_visit(first).toordinal()


@lru_cache(maxsize=1)
def _calendar() -> WorkingDayCalendar:
    return WorkingDayCalendar()


def monitoring_visits(published: int, after: int, before: int) -> list[int]:
    """ILACS-08: the quarterly monitoring visits of a council judged inadequate in a report published on
    `published`, those after `after` and before `before` (the next graded fieldwork); none in the pause."""
    schedule = _schedule(published)
    while schedule[-1] < before:  # a horizon beyond the cached one: extend it
        schedule = _schedule(published, len(schedule) * 2)
    return list(schedule[bisect.bisect_right(schedule, after) : bisect.bisect_left(schedule, before)])


@lru_cache(maxsize=1 << 14)
def _schedule(published: int, visits: int = 40) -> tuple[int, ...]:
    """The first `visits` monitoring visits after a report (ten years of quarters), each unpaused."""
    found = [_first_visit(published)]
    while len(found) < visits:
        found.append(OFSTED_PAUSE.unpaused_visit(add_months(day_of(found[-1]), MONITORING_MONTHS)).toordinal())
    return tuple(found)


def visits_between(
    switches: WorldSwitches, last: LastInspection | None, planned: PlannedInspection | None, after: int
) -> list[tuple[int, int]]:
    """Ofsted's visits (day, action) after `after` until the next graded fieldwork (or six years on): monitoring
    while the latest report is inadequate (ILACS-08), otherwise one focused visit (ILACS-05)."""
    if last is None:
        return []
    before = planned.fieldwork_start if planned is not None else last.published + 6 * 365
    if last.grade == "inadequate":
        days = monitoring_visits(last.published, after, before) if switches.monitoring_visits else []
        return [(day, MONITORING_VISIT) for day in days]
    days = focused_visit(last.published, after, before) if switches.focused_visits else []
    return [(day, FOCUSED_VISIT) for day in days]


def focused_visit(published: int, after: int, before: int) -> list[int]:
    """ILACS-05: one focused visit halfway between a report (not inadequate) and the next graded fieldwork, from
    the start of ILACS, when it falls after `after`."""
    day = (published + before) // 2
    return [day] if day >= ILACS_FROM and after < day < before else []


def run_seeds(seed: int, runs: int) -> list[int]:
    """One 64-bit seed per run, derived from the master seed (numpy's SeedSequence): run r's seed depends only on
    the master seed and r, so results never depend on how runs were batched or which executor ran them."""
    children = np.random.SeedSequence(seed).spawn(runs)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]


def council_rng(run_seed: int, council_number: int) -> random.Random:
    """The random stream of one council in one run (councils are numbered in code order)."""
    return random.Random((run_seed << 16) | council_number)
