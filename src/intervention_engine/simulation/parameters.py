"""The world model's parameters as the record gives them: each with its number of cases, a bootstrap interval, and
the fallback it uses when the record holds too few cases (fewer than `MIN_CASES`).

- DfE lags (DFE-03a, DFE-06, DFE-07, DFE-08): the median of the real cases, in days (the world draws from the cases
  themselves).
- The commissioner's recommendation (DFE-06): the share of reports recommending alternative delivery.
- Escalation under a notice (DFE-04, DFE-05): notices that ended in a direction, per six-monthly review held under
  the notices on record (`notice_reviews` samples: reviews x 2 + escalated, one per notice).
- Services returning (DFE-07): returns per year of alternative delivery on record (spells still open at the end of
  the record count their years, not a return: the rate is the exponential's, censoring included).

The bootstrap resamples the cases (1,000 times, a fixed seed), so the same record always prints the same interval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .calibration import Calibration

MIN_CASES = 5
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 12

# Lags (days) used where the record holds fewer than MIN_CASES real cases: the typical figure RULES.md gives.
# DFE-03a: the notice or direction on, or soon after, publication (30). DFE-03b: the decision "within the year" of
# the report; Slough took about three months (90). DFE-07: go-live 14-23 months after the decision (457, about 15).
# DFE-08: a notice lifted with the better report (0); a direction revoked 5-52 months after recovery (365).
DEFAULT_LAGS: dict[str, int] = {
    "inadequate_to_instrument": 30,
    "report_to_alternative_delivery_decided": 90,
    "alternative_delivery_decided_to_live": 457,
    "recovery_to_notice_lifted": 0,
    "recovery_to_direction_revoked": 365,
    "commissioner_to_report": 91,  # DFE-06: three months (the policy's commissioner_report_due timer sets it)
}
LAG_RULES = {
    "inadequate_to_instrument": "DFE-03a", "commissioner_to_report": "DFE-06",
    "report_to_alternative_delivery_decided": "DFE-03b", "alternative_delivery_decided_to_live": "DFE-07",
    "recovery_to_notice_lifted": "DFE-08", "recovery_to_direction_revoked": "DFE-08",
}  # fmt: skip

# DFE-06/DFE-07 name 13 commissioner reviews with a known outcome: 9 moved services out of the council (Doncaster,
# Slough, Sunderland, Birmingham, Sandwell, Reading, Worcestershire, Northamptonshire, Bradford) and 4 kept them
# with a partner (Kirklees, Barnet, Croydon, Surrey).
DEFAULT_P_ALTERNATIVE_DELIVERY = 9 / 13
# DFE-03/DFE-04: Bradford escalated from a notice to a direction after about three years (six reviews).
DEFAULT_P_INSUFFICIENT = 1 / 6
# DFE-07: Doncaster's trust ran eight years (October 2014 to September 2022).
DEFAULT_RETURNS_PER_YEAR = 1 / 8


@dataclass(frozen=True)
class Parameter:
    """One parameter of the world model: what the record says (value, cases, 90% bootstrap interval) and what the
    world uses (the record's value, or the named fallback when the cases are too few)."""

    name: str
    rule: str
    unit: str
    cases: int
    value: float | None
    low: float | None
    high: float | None
    fallback: float
    fallback_source: str

    @property
    def enough(self) -> bool:
        return self.cases >= MIN_CASES and self.value is not None

    @property
    def used(self) -> float:
        return self.value if self.enough and self.value is not None else self.fallback

    def text(self) -> str:
        if self.value is None or self.low is None or self.high is None:
            found = "nothing on record"
        else:
            found = f"{self.value:.3g} {self.unit} (90% bootstrap interval {self.low:.3g} to {self.high:.3g})"
        line = f"{self.name} ({self.rule}): {found}, {self.cases} case{'s' if self.cases != 1 else ''}"
        if not self.enough:
            line += f"; too few cases (fewer than {MIN_CASES}): uses {self.fallback:.3g} ({self.fallback_source})"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "enough_cases": self.enough, "used": self.used}


def bootstrap(cases: Sequence[Any], statistic: Callable[[Sequence[Any]], float]) -> tuple[float, float]:
    """The 5th and 95th percentiles of `statistic` over resamples of the cases (fixed seed)."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    picks = rng.integers(0, len(cases), size=(BOOTSTRAP_RESAMPLES, len(cases)))
    values = [statistic([cases[i] for i in row]) for row in picks]
    low, high = np.percentile(values, (5, 95))
    return float(low), float(high)


def _parameter(
    name: str, rule: str, unit: str, cases: Sequence[Any], statistic: Callable[[Sequence[Any]], float | None],
    fallback: float, source: str, intervals: bool,
) -> Parameter:  # fmt: skip
    value = statistic(cases) if cases else None
    low = high = None
    if value is not None and intervals:
        low, high = bootstrap(cases, lambda sample: statistic(sample) or 0.0)
    return Parameter(name, rule, unit, len(cases), value, low, high, fallback, source)


def _median(days: Sequence[int]) -> float:
    return float(np.median(days))


def _share_alternative(reports: Sequence[int]) -> float:
    return sum(reports) / len(reports)


def _per_review(notices: Sequence[int]) -> float | None:
    reviews = sum(code // 2 for code in notices)
    return sum(code % 2 for code in notices) / reviews if reviews else None


def _per_year(spells: Sequence[int]) -> float | None:
    days = sum(abs(spell) for spell in spells)
    return sum(spell < 0 for spell in spells) / (days / 365.25) if days else None


def world_parameters(calibration: Calibration, *, intervals: bool = True) -> list[Parameter]:
    """Every parameter of the DfE's side of the world model, from the calibration's cases; with its bootstrap
    interval unless `intervals` is False (the world model uses the values alone: `Parameter.used`)."""
    samples = calibration.samples
    found = [
        _parameter(f"lag {step.replace('_', ' ')}", LAG_RULES.get(step, "DFE-03a"), "days (median)",
                   samples.get(f"dfe:{step}", []), _median, DEFAULT_LAGS.get(step, 0), "RULES.md's typical figure",
                   intervals)
        for step in DEFAULT_LAGS
    ]  # fmt: skip
    reports = [1] * calibration.recommendations.get("alternative_delivery", 0) + [0] * sum(
        count
        for recommendation, count in calibration.recommendations.items()
        if recommendation != "alternative_delivery"
    )
    found.append(
        _parameter("commissioner_recommends_alternative_delivery", "DFE-06", "of reports", reports,
                   _share_alternative, DEFAULT_P_ALTERNATIVE_DELIVERY, "9 of the 13 reviews RULES.md names", intervals)
    )  # fmt: skip
    found.append(
        _parameter("insufficient_progress_per_review", "DFE-04, DFE-05", "per review",
                   samples.get("notice_reviews", []), _per_review, DEFAULT_P_INSUFFICIENT,
                   "Bradford: escalated at about the sixth review", intervals)
    )  # fmt: skip
    found.append(
        _parameter("services_return_per_year", "DFE-07", "per year out of the council",
                   samples.get("alternative_delivery_spells", []), _per_year, DEFAULT_RETURNS_PER_YEAR,
                   "Doncaster's trust: eight years", intervals)
    )  # fmt: skip
    return found
