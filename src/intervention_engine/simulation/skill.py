"""Scores of a probabilistic forecast against what happened, and of the naive forecasts it must beat.

- **CRPS** (continuous ranked probability score) of an ensemble of simulated counts against the real count:
  mean |X - y| - mean |X - X'| / 2 over the runs (Gneiting and Raftery 2007, the "energy" form; lower is better). A
  point forecast x has CRPS |x - y|, so persistence and climatology are scored on the same scale.
- **Interval score** of the central (1 - alpha) band [l, u]: (u - l) + 2/alpha (l - y) if y < l, + 2/alpha (y - u)
  if y > u (lower is better): a narrow band is rewarded, a miss is penalised.
- **Skill** against a reference: 1 - CRPS / CRPS(reference); above 0 the model beats it, below 0 it loses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


def crps(ensemble: Sequence[float] | npt.NDArray[Any], observed: float) -> float:
    """CRPS of an ensemble (the runs' values) against one observed value."""
    values = np.sort(np.asarray(ensemble, dtype=np.float64))
    n = len(values)
    if n == 0:
        raise ValueError("an ensemble needs at least one value")
    spread = 2.0 * float(np.sum((2 * np.arange(1, n + 1) - n - 1) * values)) / (n * n)  # mean |X - X'|
    return float(np.mean(np.abs(values - observed))) - spread / 2


def interval_score(low: float, high: float, observed: float, alpha: float) -> float:
    """Interval score of the central (1 - alpha) band."""
    penalty = 2 / alpha * ((low - observed) if observed < low else (observed - high) if observed > high else 0.0)
    return high - low + penalty


def skill(score: float, reference: float) -> float | None:
    """1 - score / reference (None when the reference is perfect, so no skill can be measured)."""
    return None if reference == 0 else 1 - score / reference


@dataclass(frozen=True)
class Scored:
    """One forecast of one count: the band, and its scores beside persistence and climatology."""

    actual: int
    p5: float
    p25: float
    p50: float
    p75: float
    p95: float
    crps: float
    crps_persistence: float
    crps_climatology: float
    interval_score_90: float

    @property
    def inside_50(self) -> bool:
        return self.p25 <= self.actual <= self.p75

    @property
    def inside_90(self) -> bool:
        return self.p5 <= self.actual <= self.p95

    @classmethod
    def of(cls, runs: npt.NDArray[Any], actual: int, persistence: float, climatology: float) -> Scored:
        p5, p25, p50, p75, p95 = (float(v) for v in np.percentile(runs, (5, 25, 50, 75, 95)))
        return cls(
            actual, p5, p25, p50, p75, p95, crps(runs, actual), abs(persistence - actual),
            abs(climatology - actual), interval_score(p5, p95, actual, 0.1),
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**{k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items()},
                "inside_50": self.inside_50, "inside_90": self.inside_90}  # fmt: skip


def summary(scored: Sequence[Scored]) -> dict[str, Any]:
    """Coverage of the 50% and 90% bands, mean widths and mean scores, and skill against the two naive forecasts."""
    if not scored:
        return {"forecasts": 0}
    mean = {name: float(np.mean([getattr(s, name) for s in scored])) for name in
            ("crps", "crps_persistence", "crps_climatology", "interval_score_90")}  # fmt: skip
    found: dict[str, Any] = {
        "forecasts": len(scored),
        "coverage_50": round(sum(s.inside_50 for s in scored) / len(scored), 3),
        "coverage_90": round(sum(s.inside_90 for s in scored) / len(scored), 3),
        "width_50": round(float(np.mean([s.p75 - s.p25 for s in scored])), 3),
        "width_90": round(float(np.mean([s.p95 - s.p5 for s in scored])), 3),
        **{name: round(value, 3) for name, value in mean.items()},
    }
    for reference in ("persistence", "climatology"):
        value = skill(mean["crps"], mean[f"crps_{reference}"])
        found[f"skill_vs_{reference}"] = None if value is None else round(value, 3)
    return found
