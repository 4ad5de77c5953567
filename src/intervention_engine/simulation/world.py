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

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..facts import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Fact,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
)
from .calibration import Calibration
from .outcomes import CalibratedOutcomes, OutcomeModel, ScriptedInspection, ScriptedOutcomes, day_of

# The DfE's actions, numbered for the kernel's tables.
NOTICE, DIRECTION, APPOINT, REPORT_RETAIN, REPORT_ADM = range(5)
ADM_DECIDED, ADM_LIVE, LIFT, REVOKE, SUPERVISION_ENDED = range(5, 10)


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

# Lags (days) for steps the calibration holds no real case of (a calibration without scenario files has none):
# the typical figure RULES.md gives. DFE-03a: the notice or direction on, or soon after, publication (30). DFE-03b: the
# decision "within the year" of the report; Slough took about three months (90). DFE-07: go-live 14-23 months after
# the decision (457, about 15). DFE-08: a notice lifted with the better report (0); a direction revoked 5-52 months
# after recovery (365).
DEFAULT_LAGS: dict[str, int] = {
    "inadequate_to_instrument": 30,
    "report_to_alternative_delivery_decided": 90,
    "alternative_delivery_decided_to_live": 457,
    "recovery_to_notice_lifted": 0,
    "recovery_to_direction_revoked": 365,
}

# DFE-06/DFE-07 name 13 commissioner reviews with a known outcome: 9 moved services out of the council (Doncaster,
# Slough, Sunderland, Birmingham, Sandwell, Reading, Worcestershire, Northamptonshire, Bradford) and 4 kept them
# with a partner (Kirklees, Barnet, Croydon, Surrey). Used unless the scenarios hold at least five reports.
DEFAULT_P_ALTERNATIVE_DELIVERY = 9 / 13
_SOURCE = "simulated by the world model"


# ----------------------------------------------------------------------------------------------------------------
# The DfE.


@dataclass
class DfEResponses:
    """The DfE's lags (drawn from the real cases, or fixed) and the commissioner's recommendation (DFE-06)."""

    calibration: Calibration
    fixed_lags: int | Mapping[str, int] | None = None
    p_alternative_delivery: float | None = None
    _p: float = field(init=False)

    def __post_init__(self) -> None:
        self._p = self.p_alternative_delivery if self.p_alternative_delivery is not None else self._calibrated_p()

    def _calibrated_p(self) -> float:
        counts = self.calibration.recommendations
        total = sum(counts.values())
        if total < 5:
            return DEFAULT_P_ALTERNATIVE_DELIVERY
        return counts.get("alternative_delivery", 0) / total

    def lag(self, rng: random.Random, step: str) -> int:
        """Days from the expectation opening to the DfE's act; one draw, always."""
        u = rng.random()
        if isinstance(self.fixed_lags, int):
            return self.fixed_lags
        if self.fixed_lags is not None and step in self.fixed_lags:
            return self.fixed_lags[step]
        samples = self.calibration.samples.get(f"dfe:{step}")
        return samples[int(u * len(samples))] if samples else DEFAULT_LAGS.get(step, 0)

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

    @classmethod
    def calibrated(
        cls,
        calibration: Calibration,
        *,
        fixed_lags: int | Mapping[str, int] | None = None,
        p_alternative_delivery: float | None = None,
        script: Mapping[str, Sequence[ScriptedInspection]] | None = None,
        fill_gaps: bool = True,
    ) -> WorldModel:
        outcomes: OutcomeModel = CalibratedOutcomes(calibration)
        if script is not None:
            outcomes = ScriptedOutcomes(script, then=outcomes)
        return cls(outcomes, DfEResponses(calibration, fixed_lags, p_alternative_delivery), fill_gaps)


def run_seeds(seed: int, runs: int) -> list[int]:
    """One 64-bit seed per run, derived from the master seed (numpy's SeedSequence): run r's seed depends only on
    the master seed and r, so results never depend on how runs were batched or which executor ran them."""
    children = np.random.SeedSequence(seed).spawn(runs)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]


def council_rng(run_seed: int, council_number: int) -> random.Random:
    """The random stream of one council in one run (councils are numbered in code order)."""
    return random.Random((run_seed << 16) | council_number)
