"""Backtest with skill: simulate from the real state on past dates and score the simulated ranges against the record.

From each origin (1 January 2018, 2019 and 2020 by default) every council is projected to the end of `to_date`; on
31 March of each year the runs' counts of four readouts (`kernel.READOUTS`) are set beside the record's:

- (a) councils judged inadequate (the latest report's overall grade, or its worst key judgement from April 2026),
- (b) under an improvement notice, (c) under a statutory direction (with or without a commissioner's review),
- (d) in alternative delivery (a trust or a partner council, DFE-07).

The record's counts come straight from the national record replayed into the engine (every source merged). Where a
council's DfE record is not covered by a source that keeps everything, its "no instrument" means "nothing on record",
not "nothing happened", and an instrument with no lifting or revocation on record may have ended: (b)-(d) are then
uncertain both ways, marked `complete: false` with the councils covered. (a) comes from the CSV, which holds every
graded report since SIF.

Each forecast is scored (`skill.py`): coverage of the 50% and 90% bands, their widths, the CRPS and the 90% interval
score, beside two naive forecasts computed in the same run: **persistence** (the count as on the origin) and
**climatology** (the record's mean count on 31 March over every year it holds, 2014 to the last year compared).
"""

from __future__ import annotations

import bisect
import concurrent.futures as cf
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import InterventionEngine
from .montecarlo import Progress, Projection, simulate
from .record import RealRecord
from .skill import Scored, summary
from .start import national_start
from .tally import READOUTS
from .world import WorldModel

QUANTITIES: tuple[str, ...] = READOUTS[:4]
ORIGINS: tuple[dt.date, ...] = (dt.date(2018, 1, 1), dt.date(2019, 1, 1), dt.date(2020, 1, 1))
FIRST_RECORD_YEAR = 2014  # the first 31 March after the start of SIF (November 2013): the CSV covers every council
BACKTEST_TO = dt.date(2024, 12, 31)  # a backtest scores every 31 March to the end of this day by default


@dataclass(frozen=True)
class RecordCount:
    """The record's count of one readout on one day, and whether the record covers every council for it."""

    count: int
    complete: bool
    covered: int
    councils: int


def record_counts(engine: InterventionEngine, day: dt.date) -> dict[str, RecordCount]:
    """The four readouts counted from the record as the engine holds it at the end of `day`."""
    starts = national_start(engine, day, fill_gaps=False)
    [national] = engine.national([day])
    found = {
        "judged_inadequate": sum(s.last is not None and s.last.grade == "inadequate" for s in starts),
        "improvement_notice": sum(s.states["instrument"] == "improvement_notice" for s in starts),
        "statutory_direction": sum(
            s.states["instrument"] in ("statutory_direction", "commissioner_review") for s in starts
        ),
        "alternative_delivery": sum(s.states["delivery"] in ("trust", "partner_council") for s in starts),
    }
    councils = len(starts)
    return {
        name: RecordCount(count, name == "judged_inadequate" or national.complete,
                          councils if name == "judged_inadequate" else national.dfe_record_covered, councils)
        for name, count in found.items()
    }  # fmt: skip


@dataclass(frozen=True)
class Forecast:
    """One origin's forecast of one readout on 31 March of one year, scored."""

    origin: dt.date
    quantity: str
    year: int
    record: RecordCount
    scored: Scored

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin.isoformat(), "quantity": self.quantity, "year": self.year,
                "record_complete": self.record.complete, "dfe_record_covered": self.record.covered,
                **self.scored.to_dict()}  # fmt: skip


@dataclass(frozen=True)
class Backtest:
    origins: tuple[dt.date, ...]
    to_date: dt.date
    runs: int
    seed: int
    forecasts: list[Forecast] = field(default_factory=list)

    def scores(self, quantity: str | None = None, origin: dt.date | None = None) -> dict[str, Any]:
        return summary([f.scored for f in self.forecasts if quantity in (None, f.quantity)
                        and origin in (None, f.origin)])  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "origins": [origin.isoformat() for origin in self.origins],
            "to": self.to_date.isoformat(),
            "runs": self.runs,
            "seed": self.seed,
            "naive_forecasts": {"persistence": "the record's count on the origin day",
                                "climatology": f"the record's mean count on 31 March, {FIRST_RECORD_YEAR} on"},
            "forecasts": [forecast.to_dict() for forecast in self.forecasts],
            "scores": {quantity: self.scores(quantity) for quantity in QUANTITIES},
            "scores_by_origin": {origin.isoformat(): self.scores(origin=origin) for origin in self.origins},
            "overall": self.scores(),
        }  # fmt: skip

    def text(self) -> str:
        lines = [f"Backtest from {', '.join(o.isoformat() for o in self.origins)} to {self.to_date}: {self.runs} "
                 f"runs (seed {self.seed}); counts on 31 March, the record against the simulated bands",
                 "(* the DfE record does not cover every council: a missing notice lowers the count, a missing lifting "
                 "or revocation raises it)"]  # fmt: skip
        for quantity in QUANTITIES:
            lines += ["", quantity.replace("_", " "),
                      f"{'origin':12}{'year':>6}{'record':>8}{'p5':>7}{'p25':>7}{'p50':>7}{'p75':>7}{'p95':>7}"
                      f"{'CRPS':>7}{'persist':>8}{'climat':>8}"]  # fmt: skip
            for f in (f for f in self.forecasts if f.quantity == quantity):
                s = f.scored
                actual = f"{s.actual}{'' if f.record.complete else '*'}"
                lines.append(f"{f.origin.isoformat():12}{f.year:>6}{actual:>8}{s.p5:>7g}{s.p25:>7g}{s.p50:>7g}"
                             f"{s.p75:>7g}{s.p95:>7g}{s.crps:>7.2f}{s.crps_persistence:>8.2f}"
                             f"{s.crps_climatology:>8.2f}")  # fmt: skip
            lines.append(_scores_line(self.scores(quantity)))
        lines += ["", "all four, every origin: " + _scores_line(self.scores())]
        return "\n".join(lines)


def _scores_line(s: dict[str, Any]) -> str:
    def skill(name: str) -> str:
        value = s.get(f"skill_vs_{name}")
        return "n/a" if value is None else f"{value:+.2f}"

    return (f"  inside the 50% band {s['coverage_50']:.0%}, the 90% band {s['coverage_90']:.0%} of {s['forecasts']}; "
            f"mean width 50% {s['width_50']:.1f}, 90% {s['width_90']:.1f}; CRPS {s['crps']:.2f} (persistence "
            f"{s['crps_persistence']:.2f}, climatology {s['crps_climatology']:.2f}); skill vs persistence "
            f"{skill('persistence')}, vs climatology {skill('climatology')}")  # fmt: skip


def backtest(
    record: RealRecord,
    *,
    origins: Sequence[dt.date] = ORIGINS,
    to_date: dt.date = BACKTEST_TO,
    runs: int = 1000,
    seed: int = 2018,
    executor: cf.Executor | None = None,
    progress: Progress | None = None,
    world: WorldModel | None = None,
) -> tuple[Backtest, list[Projection]]:
    """Simulate from the real state on each origin to the end of `to_date`, and score every 31 March."""
    if runs < 1:
        raise ValueError(f"--runs must be at least 1, not {runs}")
    if not origins or any(origin >= to_date for origin in origins):
        raise ValueError(f"every origin must come before {to_date}")
    first_scored = dt.date(FIRST_RECORD_YEAR - 1, 3, 31)  # an origin after it is scored from 31 March of the first year
    if any(origin <= first_scored for origin in origins):
        raise ValueError(f"every origin must come after {first_scored}: the record is scored on each 31 March from "
                         f"{FIRST_RECORD_YEAR}, the first after the Ofsted CSV covers every council")  # fmt: skip
    if to_date < dt.date(FIRST_RECORD_YEAR, 3, 31):
        raise ValueError(f"the backtest must run to {FIRST_RECORD_YEAR}-03-31 or later, the first day it scores")
    world = world or WorldModel.calibrated(record.calibration())
    last_year = to_date.year if to_date >= dt.date(to_date.year, 3, 31) else to_date.year - 1
    truth = record.replay(to_date)
    try:
        years = range(FIRST_RECORD_YEAR, last_year + 1)
        counts = {year: record_counts(truth, dt.date(year, 3, 31)) for year in years}
        at_origin = {origin: record_counts(truth, origin) for origin in origins}
    finally:
        truth.close()
    climatology = {q: float(np.mean([counts[year][q].count for year in years])) for q in QUANTITIES}
    forecasts: list[Forecast] = []
    projections = []
    for origin in sorted(origins):
        engine = record.replay(origin)
        try:
            span = to_date.year - origin.year + 1
            projection = simulate(origin, span, runs, seed, None, executor, engine=engine, world=world,
                                  progress=progress)  # fmt: skip
        finally:
            engine.close()
        projections.append(projection)
        for year in range(origin.year if origin <= dt.date(origin.year, 3, 31) else origin.year + 1, last_year + 1):
            sample = bisect.bisect_left(projection.dates, dt.date(year, 4, 1))  # the state at the end of 31 March
            for quantity in QUANTITIES:
                simulated = projection.readout(quantity)[:, sample]
                found = counts[year][quantity]
                scored = Scored.of(simulated, found.count, at_origin[origin][quantity].count, climatology[quantity])
                forecasts.append(Forecast(origin, quantity, year, found, scored))
    return Backtest(tuple(sorted(origins)), to_date, runs, seed, forecasts), projections
