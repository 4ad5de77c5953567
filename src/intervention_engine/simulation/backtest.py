"""Backtest: simulate from the real state on a past date and set what really happened beside the simulated range.

Per calendar year, the councils judged inadequate in the CSV against the 5th, 50th and 95th percentiles of the
simulated runs; a year counts as inside when the real number falls within the 90% band.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from .montecarlo import Progress, Projection, simulate
from .record import RealRecord
from .world import WorldModel


@dataclass(frozen=True)
class BacktestYear:
    year: int
    actual: int
    p5: float
    p50: float
    p95: float

    @property
    def inside(self) -> bool:
        return self.p5 <= self.actual <= self.p95


@dataclass(frozen=True)
class Backtest:
    from_date: dt.date
    to_date: dt.date
    runs: int
    seed: int
    years: list[BacktestYear]

    @property
    def inside(self) -> int:
        return sum(year.inside for year in self.years)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            "runs": self.runs,
            "seed": self.seed,
            "years": [{**year.__dict__, "inside": year.inside} for year in self.years],
            "inside_90_percent_band": self.inside,
            "of_years": len(self.years),
        }

    def text(self) -> str:
        lines = [
            f"Councils judged inadequate per year: the record against {self.runs} runs from {self.from_date} "
            f"(seed {self.seed})",
            f"{'year':6}{'actual':>8}{'p5':>8}{'p50':>8}{'p95':>8}  inside the 90% band",
        ]
        for y in self.years:
            lines.append(f"{y.year:<6}{y.actual:>8}{y.p5:>8g}{y.p50:>8g}{y.p95:>8g}  {'yes' if y.inside else 'no'}")
        lines.append(f"{self.inside} of {len(self.years)} years inside the 90% band")
        return "\n".join(lines)


def backtest(
    record: RealRecord,
    *,
    from_date: dt.date = dt.date(2018, 1, 1),
    to_date: dt.date = dt.date(2024, 12, 31),
    runs: int = 1000,
    seed: int = 2018,
    executor: cf.Executor | None = None,
    progress: Progress | None = None,
    world: WorldModel | None = None,
) -> tuple[Backtest, Projection]:
    """Simulate from the real state on `from_date` to the end of `to_date`, and compare year by year."""
    years = to_date.year - from_date.year + 1
    engine = record.replay(from_date)
    try:
        projection = simulate(
            from_date, years, runs, seed, None, executor, engine=engine,
            world=world or WorldModel.calibrated(record.calibration()), progress=progress,
        )  # fmt: skip
    finally:
        engine.close()
    actual = record.inadequate_by_year(from_date.year, to_date.year)
    rows = []
    for index, year in enumerate(range(from_date.year, to_date.year + 1)):
        p5, p50, p95 = (float(v) for v in np.percentile(projection.inadequate_by_year[:, index], (5, 50, 95)))
        rows.append(BacktestYear(year, actual[year], p5, p50, p95))
    return Backtest(from_date, to_date, runs, seed, rows), projection
