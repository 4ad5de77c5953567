"""Each council's stage on each sampled month of each Monte Carlo run: the `simulation_councils` export (issue 13).

The national Monte Carlo (`montecarlo.run_batch`) lets every council of a run add into one `RunTally` and keeps
only the sums. Here each council plays the same run on the same compact kernel, from the same start, tables and
random stream, into a tally of its own: its tally's stage counts are 1 in the stage it is in on each sample date
and 0 elsewhere, so its stages are read off without touching the kernel, and summed over the councils they are
the national counts of the same seed. Nothing here runs unless the per-council table is asked for.

Runs are played in batches (`montecarlo.Batch`) on the executor given, a few batches in flight at a time, and rows
are yielded batch by batch: the table streams and is never held whole.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import math
import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..policies.registry import registry_with
from ..policies.rulebook import STAGES
from ..projections.exports import TABLES, ExportTable
from ..projections.identity import NO_REGION, CouncilIdentity, council_identities
from .exports import IN_FORCE
from .kernel import Lane
from .montecarlo import Batch, _tables, sample_dates
from .record import RealRecord
from .start import CouncilStart, starts_from
from .tables import LaneStart
from .tally import RunTally
from .world import WorldModel, council_rng, run_seeds

_IN_FLIGHT = 2  # batches submitted ahead of the one whose rows are being written, per worker


def council_stage_batch(batch: Batch) -> npt.NDArray[np.int8]:
    """Each council's stage (index in `STAGES`) on each sample date, for every run of the batch: run, council,
    sample. The function a worker executes; councils in the order of `batch.starts`."""
    tables = _tables(batch.policy, batch.from_date, batch.years)
    lanes = [LaneStart.of(start, tables) for start in batch.starts]
    samples = [day.toordinal() for day in sample_dates(batch.from_date, batch.years)]
    found = np.empty((len(batch.seeds), len(lanes), len(samples)), dtype=np.int8)
    for position, seed in enumerate(batch.seeds):
        for number, lane in enumerate(lanes):
            tally = RunTally(samples, batch.from_date.year, batch.years)  # this council's alone
            Lane(lane, tables, batch.world, council_rng(seed, lane.start.number), tally).run(samples[-1])
            found[position, number] = np.argmax(np.array(tally.stage_counts(), dtype=np.int8), axis=1)
    return found


def council_stages(
    starts: Sequence[CouncilStart],
    policy: str | None,
    world: WorldModel,
    from_date: dt.date,
    years: int,
    runs: int,
    seed: int,
    executor: cf.Executor,
    *,
    batch_runs: int | None = None,
) -> Iterator[tuple[int, npt.NDArray[np.int8]]]:
    """Run by run, in order: the run and each council's stage on each sample date (council, sample)."""
    seeds = run_seeds(seed, runs)
    size = batch_runs or max(1, min(10, math.ceil(runs / (4 * (os.cpu_count() or 1)))))
    batches = (
        Batch(tuple(starts), policy, world, from_date, years, tuple(range(first, min(runs, first + size))),
              tuple(seeds[first : first + size]))
        for first in range(0, runs, size)
    )  # fmt: skip
    window = _IN_FLIGHT * (os.cpu_count() or 1)
    pending: deque[tuple[Batch, cf.Future[npt.NDArray[np.int8]]]] = deque()
    try:
        for batch in batches:
            pending.append((batch, executor.submit(council_stage_batch, batch)))
            if len(pending) > window:
                yield from _runs_of(*pending.popleft())
        while pending:
            yield from _runs_of(*pending.popleft())
    finally:  # the rows were left untaken (a download given up): the batches not begun are not played
        for _, future in pending:
            future.cancel()


def _runs_of(batch: Batch, future: cf.Future[npt.NDArray[np.int8]]) -> Iterator[tuple[int, npt.NDArray[np.int8]]]:
    stages = future.result()
    yield from zip(batch.runs, stages, strict=True)


def council_runs_table(
    record: RealRecord,
    start: dt.date,
    years: int,
    runs: int,
    seed: int,
    policies: Sequence[str | None],
    executor: cf.Executor,
    councils_csv: Path | None = None,
) -> ExportTable:
    """The `simulation_councils` table: one row per variant, run, sampled month and council, with the council's
    DfE code, ONS code, name, region (from its registration fact, or `councils_csv`) and stage. A bad window or an
    unknown policy is refused here (ValueError), before any row is written."""
    if years < 1 or runs < 1:
        raise ValueError("a simulation needs at least one year and one run")
    for policy in policies:
        if policy is not None:
            registry_with(policy)  # an unknown policy fails here, with the known ones named
    world = WorldModel.calibrated(record.calibration())
    engine = record.replay(start)
    try:
        starts = starts_from(start, engine, None, who="simulate")
        identities = {i.code: i for i in council_identities(engine.index, councils_csv).values()}
    finally:
        engine.close()
    who = [identities.get(s.code) or CouncilIdentity(s.code, None, s.name, NO_REGION) for s in starts]
    dates = sample_dates(start, years)

    def rows() -> Iterator[tuple[Any, ...]]:
        for policy in policies:
            variant = policy or IN_FORCE
            for run, stages in council_stages(starts, policy, world, start, years, runs, seed, executor):
                yield from _run_rows(variant, run, dates, who, stages)

    return ExportTable(TABLES["simulation_councils"], rows())


def _run_rows(
    variant: str,
    run: int,
    dates: Sequence[dt.date],
    who: Sequence[CouncilIdentity],
    stages: npt.NDArray[np.int8],
) -> Iterator[tuple[Any, ...]]:
    """One run's rows: month by month, each council in code order."""
    names: Mapping[int, str] = dict(enumerate(STAGES))
    by_month = stages.T.tolist()
    for moment, day in enumerate(dates):
        for identity, stage in zip(who, by_month[moment], strict=True):
            yield variant, run, day, identity.code, identity.ons_code, identity.name, identity.region, names[stage]
