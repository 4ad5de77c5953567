"""The simulated tables of the tidy exports, computed as asked: what the command line's `export` and
`GET /exports/{table}` both call (the faces only read their options, and the service bounds them)."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..policies.registry import registry_with
from ..projections.exports import ExportTable, InvalidExport
from .backtest import BACKTEST_TO, ORIGINS, backtest
from .council_runs import council_runs_table
from .exports import backtest_table, simulation_table
from .montecarlo import simulate
from .record import RealRecord
from .world import WorldModel

SIMULATED_TABLES = ("simulation", "simulation_councils", "backtest")
SIMULATION_FROM = dt.date(2018, 1, 1)  # `simulation(_councils)` start from the real state on this day by default


@dataclass(frozen=True)
class SimulatedExport:
    """What a simulated table is computed from, as `export` and `GET /exports/{table}` name it (docs/exports.md).

    `origins`: `simulation(_councils)` starts from the real state on one day (default `SIMULATION_FROM`),
    `backtest` from each (default `backtest.ORIGINS`); `to_date`: backtest's last day; `years`: how far
    `simulation(_councils)` project; `policies`: one variant each (None: the regimes in force)."""

    origins: Sequence[dt.date] = ()
    to_date: dt.date = BACKTEST_TO
    years: int = 10
    runs: int = 100
    seed: int = 0
    policies: Sequence[str | None] = (None,)


def simulated_table(
    name: str,
    record: RealRecord,
    asked: SimulatedExport,
    executor: cf.Executor,
    councils_csv: Path | None = None,
    *,
    option: str = "",
) -> ExportTable:
    """The simulated table `name`, computed from `record` as `asked`, its runs on `executor`. `simulation` and
    `backtest` are computed here; `simulation_councils` plays its runs as its rows are taken (keep `executor` open
    until then). A table that is not simulated, a second start day, an unknown policy or a bad window is refused
    (InvalidExport) before anything is computed; `option` prefixes the option names its messages give (`--`)."""
    if name not in SIMULATED_TABLES:
        raise InvalidExport(
            f"table {name!r} is read from the store, not simulated; simulated: {', '.join(SIMULATED_TABLES)}"
        )
    try:
        for policy in asked.policies:
            if policy is not None:
                registry_with(policy)  # an unknown policy fails here, with the known ones named
        if name == "backtest":
            result, _ = backtest(record, origins=asked.origins or ORIGINS, to_date=asked.to_date, runs=asked.runs,
                                 seed=asked.seed, executor=executor)  # fmt: skip
            return backtest_table(result)
        if len(asked.origins) > 1:
            raise InvalidExport(f"table {name!r} starts from one day: give {option}from once")
        start = asked.origins[0] if asked.origins else SIMULATION_FROM
        if name == "simulation_councils":
            return council_runs_table(record, start, asked.years, asked.runs, asked.seed, asked.policies, executor,
                                      councils_csv)  # fmt: skip
        world = WorldModel.calibrated(record.calibration())
        engine = record.replay(start)
        try:
            return simulation_table([
                simulate(start, asked.years, asked.runs, asked.seed, policy, executor, engine=engine, world=world)
                for policy in asked.policies
            ])  # fmt: skip
        finally:
            engine.close()
    except InvalidExport:
        raise
    except ValueError as error:
        raise InvalidExport(str(error)) from None
