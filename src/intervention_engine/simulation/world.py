"""The world model: the facts nobody scripted, for branches and Monte Carlo runs (DESIGN decision 9).

Two actors move a simulated council. **Ofsted** inspects: the next fieldwork starts after an interval drawn from
the real intervals for the previous grade (ILACS-04, ILACS-09), lasts as long as a real one, is published after a
real publication lag (ILACS-10), and its grade follows the real transition matrix for the era and the previous grade;
an inadequate judgement is systemic (DFE-03) as often as in the real record. **The DfE** acts on the policy's open
expectations (DFE-02, DFE-03, DFE-03b, DFE-07, DFE-08) after a lag drawn from the real cases, never later than the
expectation's deadline, and the commissioner reports when the policy's `commissioner_report_due` timer falls due
(DFE-06). Everything drawn comes from a `random.Random` per council and run, in a fixed order, so the same seed
gives the same facts whether the full engine (`forward.py`) or the compact kernel (`kernel.py`) plays them.

Every fact built here has `simulated=True`. Days are proleptic ordinals (`date.toordinal()`), as in the kernel.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from ..facts import (
    FRAMEWORK_STARTS,
    AlternativeDeliveryDecided,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Fact,
    Framework,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    InspectionPublished,
    StatutoryDirectionIssued,
    StatutoryDirectionRevoked,
    SupportAndSupervisionEnded,
    framework_on,
)
from .calibration import ERAS, Calibration

GRADES: tuple[str, ...] = ("outstanding", "good", "requires_improvement", "inadequate")
INADEQUATE = 3
ILACS_2026 = next(start for start, framework in FRAMEWORK_STARTS if framework is Framework.ilacs_2026).toordinal()

# The DfE's actions, numbered for the kernel's tables.
NOTICE, DIRECTION, APPOINT, REPORT_RETAIN, REPORT_ADM = range(5)
ADM_DECIDED, ADM_LIVE, LIFT, REVOKE, SUPERVISION_ENDED = range(5, 10)
ACTION_NAMES: tuple[str, ...] = (
    "improvement_notice_issued",
    "statutory_direction_issued",
    "commissioner_appointed",
    "commissioner_reported (retain)",
    "commissioner_reported (alternative delivery)",
    "alternative_delivery_decided",
    "alternative_delivery_live",
    "improvement_notice_lifted",
    "statutory_direction_revoked",
    "support_and_supervision_ended",
)


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


def day_of(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


@lru_cache(maxsize=1 << 14)
def era_of(fieldwork_start: int) -> str:
    """The calibration era (`sif`, `ilacs`, `pre_sif`) of a report whose fieldwork began that day (ILACS-01)."""
    return ERAS[framework_on(day_of(fieldwork_start)).value]


# ----------------------------------------------------------------------------------------------------------------
# Ofsted.


@dataclass(frozen=True)
class LastInspection:
    """What the outcome model needs of the latest report: when it was published, its era and effective grade."""

    published: int
    era: str
    grade: str  # the overall grade, or the worst key judgement for reports with no overall grade (April 2026 on)


@dataclass(frozen=True)
class PlannedInspection:
    """The next graded inspection of a council, drawn (or scripted) when the previous one was published."""

    fieldwork_start: int
    fieldwork_end: int
    published: int
    grade: str
    systemic: bool = False

    @property
    def ungraded(self) -> bool:
        """Reports from April 2026 carry no overall grade (ILACS-01)."""
        return self.fieldwork_start >= ILACS_2026


class OutcomeModel(Protocol):
    """Where Ofsted's next inspection of a council comes from."""

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None: ...


class CalibratedOutcomes:
    """Ofsted outcomes drawn from the real record (`Calibration`): five draws per inspection, always in order."""

    def __init__(self, calibration: Calibration) -> None:
        samples = calibration.samples
        if not samples:
            raise ValueError("the calibration holds no samples: calibrate again with this version of the engine")
        self._intervals = {key.split(":", 1)[1]: days for key, days in samples.items() if key.startswith("interval:")}
        self._lags = {key.split(":")[1]: days for key, days in samples.items() if key.startswith("publication_lag:")}
        self._fieldwork = {key.split(":")[1]: days for key, days in samples.items() if key.startswith("fieldwork:")}
        self._transitions = {
            (era, previous): _cumulative(counts)
            for era, rows in calibration.transitions.items()
            for previous, counts in rows.items()
        }
        self._first = {era: _cumulative(counts) for era, counts in calibration.first_grades.items()}
        self._systemic = {
            era: counts.get("systemic", 0) / max(1, sum(counts.values()))
            for era, counts in calibration.systemic.items()
        }
        pooled = sorted(day for key, days in self._intervals.items() if key.startswith("any:") for day in days)
        self._pooled_median = pooled[len(pooled) // 2] if pooled else 3 * 365

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection:
        draw = rng.random
        u_interval, u_fieldwork, u_lag, u_grade, u_systemic = draw(), draw(), draw(), draw(), draw()
        start = self._fieldwork_start(u_interval, last, not_before)
        era = era_of(start)
        end = start + _pick(self._samples(self._fieldwork, era), u_fieldwork, 10)
        published = end + _pick(self._samples(self._lags, era), u_lag, 45)
        grade = self._grade(u_grade, era, last.grade if last else None)
        systemic = grade == "inadequate" and u_systemic < self._systemic.get(era, self._systemic.get("ilacs", 0.4))
        return PlannedInspection(start, end, published, grade, systemic)

    def _fieldwork_start(self, u: float, last: LastInspection | None, not_before: int) -> int:
        """ILACS-04/09: the interval since the last report for its era and grade, given that it is still to come."""
        if last is None:
            return not_before + int(u * self._pooled_median)
        days = self._intervals.get(f"{last.era}:{last.grade}") or self._intervals.get(f"any:{last.grade}") or []
        first = bisect.bisect_left(days, not_before - last.published)
        if first >= len(days):  # overdue beyond anything on record: within the next six months
            return not_before + int(u * 182)
        return last.published + days[first + int(u * (len(days) - first))]

    def _grade(self, u: float, era: str, previous: str | None) -> str:
        if previous:
            table = self._transitions.get((era, previous)) or self._transitions.get(("ilacs", previous))
        else:
            table = self._first.get(era) or self._first.get("ilacs")
        if not table:
            table = self._first.get("ilacs") or [(1.0, "requires_improvement")]
        for threshold, grade in table:
            if u < threshold:
                return grade
        return table[-1][1]

    @staticmethod
    def _samples(table: Mapping[str, Sequence[int]], era: str) -> Sequence[int]:
        return table.get(era) or table.get("ilacs") or ()


def _cumulative(counts: Mapping[str, int]) -> list[tuple[float, str]]:
    """Cumulative probabilities over the four grades; `ungraded` is a way of reporting, not an outcome."""
    graded = {grade: counts.get(grade, 0) for grade in GRADES}
    total = sum(graded.values())
    if not total:
        return []
    running, table = 0, []
    for grade in GRADES:
        if graded[grade]:
            running += graded[grade]
            table.append((running / total, grade))
    return table


def _pick(samples: Sequence[int], u: float, default: int) -> int:
    return samples[int(u * len(samples))] if samples else default


@dataclass(frozen=True)
class ScriptedInspection:
    """One inspection of a script of outcomes: its publication date, grade and, if inadequate, whether systemic."""

    published: dt.date
    grade: str
    systemic: bool = False
    fieldwork_start: dt.date | None = None
    fieldwork_end: dt.date | None = None

    def planned(self) -> PlannedInspection:
        end = self.fieldwork_end or self.published - dt.timedelta(days=42)
        start = self.fieldwork_start or end - dt.timedelta(days=11)
        return PlannedInspection(
            start.toordinal(), end.toordinal(), self.published.toordinal(), self.grade, self.systemic
        )

    def to_dict(self) -> dict[str, Any]:
        data = {"published": self.published.isoformat(), "grade": self.grade, "systemic": self.systemic}
        for key in ("fieldwork_start", "fieldwork_end"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptedInspection:
        dates = {k: dt.date.fromisoformat(data[k]) for k in ("fieldwork_start", "fieldwork_end") if data.get(k)}
        return cls(dt.date.fromisoformat(data["published"]), data["grade"], bool(data.get("systemic")), **dates)


@dataclass
class ScriptedOutcomes:
    """Ofsted outcomes from a script, council by council; when a council's script runs out, `then` takes over
    (or no more inspections happen). A script draws nothing."""

    script: Mapping[str, Sequence[ScriptedInspection]]
    then: OutcomeModel | None = None

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None:
        after = max(last.published if last else 0, not_before - 1)
        for scripted in sorted(self.script.get(council, ()), key=lambda s: s.published):
            if scripted.published.toordinal() > after:
                return scripted.planned()
        return self.then.next_inspection(rng, council, last, not_before) if self.then else None


@dataclass
class OutcomesAfter:
    """Outcomes from `then`, with no fieldwork before `day` (the real reports are replayed up to then)."""

    day: int
    then: OutcomeModel

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None:
        return self.then.next_inspection(rng, council, last, max(not_before, self.day))


def inspection_fact(planned: PlannedInspection) -> InspectionPublished:
    """The report of a planned inspection, with judgements that make its grade and failure what was drawn.

    ILACS-11: help and protection inadequate makes the overall grade inadequate; systemic failure (DFE-03) means every
    key judgement inadequate. Reports from April 2026 have no overall grade (ILACS-01, ILACS-12).
    """
    grade = planned.grade
    judgements: dict[str, str] = {"help_and_protection": grade, "children_in_care": grade, "leadership": grade}
    if grade == "inadequate" and not planned.systemic:
        judgements["children_in_care"] = judgements["leadership"] = "requires_improvement"
    if not planned.ungraded:
        judgements["overall"] = grade
    return InspectionPublished(
        occurred_on=day_of(planned.published),
        fieldwork_start=day_of(planned.fieldwork_start),
        fieldwork_end=day_of(planned.fieldwork_end),
        judgements=judgements,  # pydantic validates the mapping
        simulated=True,
        source=f"{_SOURCE}: Ofsted outcome",
    )


def effective_grade(judgements: Mapping[str, Any]) -> str | None:
    """The overall grade, or (April 2026 on) the worst of the key judgements; None when nothing is graded."""
    overall = judgements.get("overall")
    if overall in GRADES:
        return str(overall)
    keys = [judgements.get(k) for k in ("help_and_protection", "children_in_care", "leadership")]
    graded = [GRADES.index(str(grade)) for grade in keys if grade in GRADES]
    return GRADES[max(graded)] if graded else None


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

    @property
    def p(self) -> float:
        return self._p

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
