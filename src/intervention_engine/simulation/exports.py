"""The simulated tables of `export` (issue 13): Monte Carlo runs and the backtest in long format.

`simulation`: one row per variant (a DfE policy, or the regimes in force), run, sampled month and stage, zeros
included, so every run pivots to the same shape. `backtest`: one row per origin, count and year.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..policies.rulebook import STAGES
from ..projections.exports import TABLES, ExportTable
from .backtest import Backtest
from .montecarlo import Projection

IN_FORCE = "in force"


def simulation_table(projections: Sequence[Projection]) -> ExportTable:
    """Every run of every projection: councils by stage on each sampled date."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for projection in projections:
            variant = projection.policy or IN_FORCE
            counts = projection.stage_counts
            for run in range(projection.runs):
                for moment, day in enumerate(projection.dates):
                    for column, stage in enumerate(STAGES):
                        yield variant, run, day, stage, int(counts[run, moment, column])

    return ExportTable(TABLES["simulation"], rows())


def backtest_table(result: Backtest) -> ExportTable:
    """Every forecast of the backtest: one row per origin, count and year."""
    rows = [
        (
            f.origin,
            f.quantity,
            f.year,
            f.scored.actual,
            f.record.complete,
            f.record.covered,
            f.record.councils,
            *(round(p, 2) for p in (f.scored.p5, f.scored.p25, f.scored.p50, f.scored.p75, f.scored.p95)),
            f.scored.inside_50,
            f.scored.inside_90,
            *(
                round(v, 4)
                for v in (
                    f.scored.crps,
                    f.scored.crps_persistence,
                    f.scored.crps_climatology,
                    f.scored.interval_score_90,
                )
            ),
            result.runs,
            result.seed,
        )
        for f in result.forecasts
    ]
    return ExportTable(TABLES["backtest"], rows)
