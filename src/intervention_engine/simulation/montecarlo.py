"""National Monte Carlo: every council projected forward from the real state on a date, many times over.

Runs are grouped in batches and spread over a standard `concurrent.futures.Executor` (a process pool by default;
`distributed.Client(...).get_executor()` works the same way). Run r draws from a seed derived from the master seed
and r alone (`world.run_seeds`), and each council from its own stream within the run, so the result is the same
whatever executor ran it and however the runs were batched. Each batch plays its councils on the compact kernel
(`kernel.py`); nothing goes through the event store.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..calendar import add_months
from ..engine import InterventionEngine
from ..policies.registry import PolicyRegistry, default_registry, registry_with
from ..policies.rulebook import OUT_OF_COUNCIL_STAGES, STAGES
from .kernel import Lane
from .start import CouncilStart, starts_from
from .tables import KernelTables, LaneStart
from .tally import EVENTS, READOUTS, RunTally
from .world import WorldModel, council_rng, run_seeds

Progress = Callable[[int], None]
QUANTILES = (5, 25, 50, 75, 95)
OUT_OF_COUNCIL = OUT_OF_COUNCIL_STAGES


@dataclass(frozen=True)
class Batch:
    """Everything a worker needs for some runs: picklable, and small (the councils' starting points)."""

    starts: tuple[CouncilStart, ...]
    policy: str | None
    world: WorldModel
    from_date: dt.date
    years: int
    runs: tuple[int, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class BatchResult:
    runs: tuple[int, ...]
    stage_counts: npt.NDArray[np.int16]  # run, sample, stage
    inadequate_by_year: npt.NDArray[np.int16]  # run, year
    intervention_months: npt.NDArray[np.float64]  # run: council-months in intervention
    councils_in_intervention: npt.NDArray[np.int16]
    alternative_delivery_live: npt.NDArray[np.int16]
    readouts: npt.NDArray[np.int16]  # run, sample, readout (kernel.READOUTS)
    events: npt.NDArray[np.int32]  # run, event (kernel.EVENTS)


def registry_for(policy: str | None) -> PolicyRegistry:
    """The policies of a simulation: the real ones by date, or one DfE regime for every date (a what-if)."""
    return default_registry() if policy is None else registry_with(policy)


def sample_dates(from_date: dt.date, years: int) -> list[dt.date]:
    """The first day and the same day of every month after it, for `years` years."""
    return [add_months(from_date, month) for month in range(12 * years + 1)]


_TABLES: dict[tuple[str | None, dt.date, int], KernelTables] = {}


def _tables(policy: str | None, from_date: dt.date, years: int) -> KernelTables:
    """One set of tables per worker process and simulation window (built lazily, never at import)."""
    key = (policy, from_date, years)
    if key not in _TABLES:
        _TABLES.clear()
        _TABLES[key] = KernelTables(registry_for(policy), from_date, add_months(from_date, 12 * years))
    return _TABLES[key]


def run_batch(batch: Batch) -> BatchResult:
    """Play every council of every run in the batch on the kernel (the function a worker executes)."""
    tables = _tables(batch.policy, batch.from_date, batch.years)
    lanes = [LaneStart.of(start, tables) for start in batch.starts]
    samples = [day.toordinal() for day in sample_dates(batch.from_date, batch.years)]
    until = samples[-1]
    tallies = []
    for seed in batch.seeds:
        tally = RunTally(samples, batch.from_date.year, batch.years)
        for lane in lanes:
            Lane(lane, tables, batch.world, council_rng(seed, lane.start.number), tally).run(until)
        tallies.append(tally)
    return BatchResult(
        batch.runs,
        np.array([tally.stage_counts() for tally in tallies], dtype=np.int16),
        np.array([tally.inadequate_by_year for tally in tallies], dtype=np.int16),
        np.array([tally.intervention_days / (365.25 / 12) for tally in tallies]),
        np.array([tally.councils_in_intervention for tally in tallies], dtype=np.int16),
        np.array([tally.alternative_delivery_live for tally in tallies], dtype=np.int16),
        np.array([tally.readout_counts() for tally in tallies], dtype=np.int16),
        np.array([tally.events for tally in tallies], dtype=np.int32),
    )


@dataclass(frozen=True)
class Projection:
    """The national projection: every run's councils by stage and month, and per-run totals."""

    from_date: dt.date
    years: int
    seed: int
    policy: str | None
    councils: int
    dates: list[dt.date]
    stage_counts: npt.NDArray[np.int16]  # run, sample date, stage (STAGES order)
    inadequate_by_year: npt.NDArray[np.int16]  # run, calendar year from from_date.year
    intervention_months: npt.NDArray[np.float64]
    councils_in_intervention: npt.NDArray[np.int16]
    alternative_delivery_live: npt.NDArray[np.int16]
    readouts: npt.NDArray[np.int16] | None = None  # run, sample date, readout (kernel.READOUTS)
    events: npt.NDArray[np.int32] | None = None  # run, simulated fact of the new dynamics (kernel.EVENTS)

    @property
    def runs(self) -> int:
        return int(self.stage_counts.shape[0])

    @property
    def first_year(self) -> int:
        return self.from_date.year

    def councils_in(self, *stages: str) -> npt.NDArray[np.int64]:
        """Councils in any of `stages`, per run and sample date."""
        columns = [STAGES.index(stage) for stage in stages]
        found: npt.NDArray[np.int64] = self.stage_counts[:, :, columns].sum(axis=2, dtype=np.int64)
        return found

    def fan(self, *stages: str) -> dict[int, npt.NDArray[np.float64]]:
        """Percentiles (5, 25, 50, 75, 95) over runs of the councils in `stages`, per sample date."""
        counts = self.councils_in(*stages)
        return {q: np.percentile(counts, q, axis=0) for q in QUANTILES}

    def readout(self, name: str) -> npt.NDArray[np.int16]:
        """Councils in one readout (`kernel.READOUTS`), per run and sample date."""
        assert self.readouts is not None
        found: npt.NDArray[np.int16] = self.readouts[:, :, READOUTS.index(name)]
        return found

    def summary(self) -> dict[str, Any]:
        """Medians and 90% bands: stages at the end, councils in intervention, trusts, inadequate by year; after
        April 2026 the ungraded councils by their worst key judgement (ILACS-12), and the new dynamics' facts."""
        end = self.stage_counts[:, -1, :]
        extra: dict[str, Any] = {}
        if self.readouts is not None:
            extra["ungraded_at_end_by_worst_key_judgement"] = {
                name.removeprefix("ungraded_worst_"): _band(self.readout(name)[:, -1])
                for name in READOUTS
                if name.startswith("ungraded_worst_") and self.readout(name)[:, -1].any()
            }
        if self.events is not None:
            extra["simulated_facts"] = {name: _band(self.events[:, i]) for i, name in enumerate(EVENTS)}
        return {
            "from": self.from_date.isoformat(),
            "until": self.dates[-1].isoformat(),
            "runs": self.runs,
            "seed": self.seed,
            "policy": self.policy or "in force on each date",
            "councils": self.councils,
            "stages_at_end": {
                stage: _band(end[:, column]) for column, stage in enumerate(STAGES) if end[:, column].any()
            },
            "out_of_council_control_at_end": _band(self.councils_in(*OUT_OF_COUNCIL)[:, -1]),
            "alternative_delivery_going_live": _band(self.alternative_delivery_live),
            "councils_in_intervention": _band(self.councils_in_intervention),
            "council_months_in_intervention": _band(self.intervention_months),
            "inadequate_by_year": {
                str(self.first_year + year): _band(self.inadequate_by_year[:, year])
                for year in range(self.inadequate_by_year.shape[1])
            },
            **extra,
        }

    def text(self) -> str:
        """The summary in words: the 90% band and median of each figure."""
        summary = self.summary()

        def band(values: dict[str, float]) -> str:
            return f"{values['median']:g} (90% of runs: {values['p5']:g} to {values['p95']:g})"

        lines = [
            f"{summary['councils']} councils from {summary['from']} to {summary['until']}, {summary['runs']} runs, "
            f"seed {summary['seed']}, policy: {summary['policy']}",
            "",
            "Councils by stage at the end:",
            *(f"  {stage.replace('_', ' '):30}{band(values)}" for stage, values in summary["stages_at_end"].items()),
            f"  {'out of council control':30}{band(summary['out_of_council_control_at_end'])}",
            "",
            f"Alternative delivery going live: {band(summary['alternative_delivery_going_live'])}",
            f"Councils in intervention at some point: {band(summary['councils_in_intervention'])}",
            f"Council-months in intervention: {band(summary['council_months_in_intervention'])}",
            "",
            "Councils judged inadequate per year:",
            *(f"  {year}  {band(values)}" for year, values in summary["inadequate_by_year"].items()),
        ]
        ungraded = summary.get("ungraded_at_end_by_worst_key_judgement")
        if ungraded:
            lines += [
                "",
                "Ungraded at the end (reports from April 2026 have no overall grade), by worst key judgement:",
            ]
            lines += [f"  {grade.replace('_', ' '):30}{band(values)}" for grade, values in ungraded.items()]
        if "simulated_facts" in summary:
            lines += ["", "Simulated facts of the world model's dynamics (per run):"]
            lines += [f"  {name.replace('_', ' '):30}{band(v)}" for name, v in summary["simulated_facts"].items()]
        return "\n".join(lines)

    def to_dict(self, *, monthly: bool = True) -> dict[str, Any]:
        data = self.summary()
        if monthly:
            data["monthly"] = self._monthly()
            data["dates"] = [day.isoformat() for day in self.dates]
        return data

    def _monthly(self) -> dict[str, dict[str, list[float]]]:
        series: dict[str, dict[str, list[float]]] = {}
        groups: dict[str, tuple[str, ...]] = {
            stage: (stage,) for stage in STAGES if self.stage_counts[:, :, STAGES.index(stage)].any()
        }
        groups["out_of_council_control"] = OUT_OF_COUNCIL
        for name, stages in groups.items():
            series[name] = {str(q): [round(float(v), 2) for v in values] for q, values in self.fan(*stages).items()}
        return series


def _band(values: npt.NDArray[Any]) -> dict[str, float]:
    p5, p50, p95 = np.percentile(values, (5, 50, 95))
    return {"p5": round(float(p5), 2), "median": round(float(p50), 2), "p95": round(float(p95), 2)}


def simulate(
    from_date: dt.date,
    years: int,
    runs: int,
    seed: int,
    policy: str | None = None,
    executor: cf.Executor | None = None,
    *,
    engine: InterventionEngine | None = None,
    starts: Sequence[CouncilStart] | None = None,
    world: WorldModel,
    progress: Progress | None = None,
    batch_runs: int | None = None,
) -> Projection:
    """Project every council from the real state on `from_date` for `years` years, `runs` times.

    The starting state comes from `starts`, or from `engine` (a store holding the real record, read as it stood
    at the end of `from_date`). `policy` names one DfE regime for every date (`registry_with`), or None for the
    regimes in force. `progress` is called with the number of runs each finished batch completed.
    """
    if years < 1 or runs < 1:
        raise ValueError("a simulation needs at least one year and one run")
    if policy is not None:
        registry_with(policy)  # an unknown policy fails here, with the known ones named, not in a worker
    starts = starts_from(from_date, engine, starts, who="simulate")
    seeds = run_seeds(seed, runs)
    size = batch_runs or max(1, min(50, math.ceil(runs / (4 * (os.cpu_count() or 1)))))
    batches = [
        Batch(tuple(starts), policy, world, from_date, years, tuple(range(first, min(runs, first + size))),
              tuple(seeds[first : first + size]))
        for first in range(0, runs, size)
    ]  # fmt: skip
    results = _execute(batches, executor, progress)
    return _assemble(results, from_date, years, seed, policy, len(starts))


class SerialExecutor(cf.Executor):
    """Runs each call at once, in this process: for debugging, tests and `--workers 0`."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the Future carries it to the caller, as a pool's would
            future.set_exception(error)
        return future


def executor_for(workers: int | None) -> cf.Executor:
    """A process pool of `workers` processes (one per CPU when None), or this process alone when 0."""
    if workers == 0:
        return SerialExecutor()
    return cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1)


def _execute(batches: Sequence[Batch], executor: cf.Executor | None, progress: Progress | None) -> list[BatchResult]:
    own = executor is None
    pool = cf.ProcessPoolExecutor(max_workers=min(len(batches), os.cpu_count() or 1)) if own else executor
    assert pool is not None
    try:
        futures = [pool.submit(run_batch, batch) for batch in batches]
        results = []
        for future in cf.as_completed(futures):
            result = future.result()
            results.append(result)
            if progress is not None:
                progress(len(result.runs))
        return results
    finally:
        if own:
            pool.shutdown(cancel_futures=True)


def _assemble(
    results: Sequence[BatchResult], from_date: dt.date, years: int, seed: int, policy: str | None, councils: int
) -> Projection:
    order = np.argsort(np.concatenate([np.array(result.runs) for result in results]), kind="stable")

    def stack(name: str) -> Any:
        return np.concatenate([getattr(result, name) for result in results])[order]

    return Projection(
        from_date, years, seed, policy, councils, sample_dates(from_date, years), stack("stage_counts"),
        stack("inadequate_by_year"), stack("intervention_months"), stack("councils_in_intervention"),
        stack("alternative_delivery_live"), stack("readouts"), stack("events"),
    )  # fmt: skip
