"""The simulated tables of `export` (issue 13): Monte Carlo runs and the backtest in long format.

`simulation`: one row per variant (a DfE policy, or the regimes in force), run, sampled month and stage, zeros
included, so every run pivots to the same shape. `backtest`: one row per calendar year.
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
    rows = [
        (
            year.year,
            year.actual,
            *(round(p, 2) for p in (year.p5, year.p50, year.p95)),
            year.inside,
            result.from_date,
            result.runs,
            result.seed,
        )
        for year in result.years
    ]
    return ExportTable(TABLES["backtest"], rows)
