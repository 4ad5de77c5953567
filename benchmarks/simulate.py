"""Simulation benchmark: the national Monte Carlo projection on the compact kernel, against the naive way.

    .venv/bin/python benchmarks/simulate.py [--runs 1000] [--years 10] [--from 2025-01-01] [--workers N]
                                            [--naive-runs 2] [--engine-runs 1] [--quick]

1. Reads the real record (ofsted_inspections.csv, the DfE register, the research timelines and scenarios/), replays
   it into an in-memory engine up to `--from` and calibrates the world model (timed apart: the projection starts
   from that state).
2. (a) kernel: `simulate(...)` with every dynamic of the world model on (`WorldSwitches()`: progress reviews, the
   six-month check, services returning, monitoring and focused visits, the 2020-21 pause, the 2026 framework),
   `--runs` runs x every council x `--years` years, spread over a process pool of `--workers` processes (default:
   one per CPU). Prints the wall time, council-years per second and peak memory (this process, and the largest
   worker: `resource.getrusage` maximum resident set sizes).
   (a') the same with every dynamic off (`WorldSwitches.none()`), the world model as it was: what they cost.
   (b) naive: the same projection, the way an event-sourced workflow engine does it out of the box: an
   eventsourcing application on the in-memory store, a `transitions` Machine per region bound to each aggregate as
   it is loaded, every fact a load, a trigger and a save, every council's stage read back each month. It is fed
   the facts the kernel's runs drew (so it spends nothing on deciding them: the ratio is a lower bound), for
   `--naive-runs` runs, in this process.
   (c) the full engine: the world model recording each council's facts through `InterventionEngine` (every rule,
   policy, expectation and timer), for `--engine-runs` runs, in this process.
   Ratios are per council-year, per process: the kernel's figure is divided by the workers it used.

Figures are printed, never asserted: timing belongs in benchmarks, not in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from transitions import Machine, MachineError

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.facts import Fact
from intervention_engine.policies.rulebook import GUARDS, REGIONS, derive_stage
from intervention_engine.simulation import RealRecord, WorldModel, simulate
from intervention_engine.simulation.forward import play_forward
from intervention_engine.simulation.kernel import Lane, LaneStart
from intervention_engine.simulation.montecarlo import executor_for, registry_for, sample_dates
from intervention_engine.simulation.outcomes import inspection_fact
from intervention_engine.simulation.start import CouncilStart, events_until, national_start
from intervention_engine.simulation.tables import KernelTables
from intervention_engine.simulation.tally import RunTally
from intervention_engine.simulation.world import WorldSwitches, action_fact, council_rng, run_seeds

ROOT = Path(__file__).resolve().parents[1]
# The shared data as `make test SHARED=...` names it (SHARED_DIR), else beside the clone.
DATA = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared") / "data"
OFSTED_CSV = DATA / "ofsted_inspections.csv"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
MB = 1024  # ru_maxrss is in kilobytes on Linux


# ----------------------------------------------------------------------------------------------------------------
# The naive way: an eventsourcing aggregate with transitions Machines bound to it.


class NaiveCouncil(Aggregate):
    """A council whose four regions are `transitions` models, bound each time the aggregate is loaded."""

    @event("Registered")
    def __init__(self, code: str, states: dict[str, str]) -> None:
        self.code = code
        self.states = states
        self.details: dict[str, Any] = {}

    @event("Moved")
    def moved(self, states: dict[str, str], details: dict[str, Any]) -> None:
        self.states = states
        self.details = details


class Region:
    """The model a region's Machine is bound to; its guards ask the rulebook's predicates."""

    def __init__(self, council: NaiveCouncil, name: str) -> None:
        self.council = council
        self.state = council.states[name]
        for guard, predicate in GUARDS.items():
            setattr(self, guard, lambda fact, predicate=predicate: predicate(fact, self.council.details))


def bind(council: NaiveCouncil) -> dict[str, Region]:
    """What the naive way does on every load: a Machine per region, bound to the aggregate's models."""
    regions = {}
    for name, spec in REGIONS.items():
        model = Region(council, name)
        Machine(model=model, states=list(spec["states"]), transitions=[dict(t) for t in spec["transitions"]],
                initial=model.state, auto_transitions=False)  # fmt: skip
        regions[name] = model
    return regions


class NaiveApp(Application[uuid.UUID]):
    def __init__(self) -> None:
        super().__init__(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})

    def register(self, code: str, states: dict[str, str]) -> uuid.UUID:
        council = NaiveCouncil(code, dict(states))
        self.save(council)
        return council.id

    def apply(self, council_id: uuid.UUID, fact: Fact) -> None:
        council: NaiveCouncil = self.repository.get(council_id)
        regions = bind(council)
        details = dict(council.details)
        if fact.describe() == "alternative_delivery_decided":
            details["delivery_form"] = "partnership_trust"
        council.details = details
        for model in regions.values():
            try:
                getattr(model, fact.trigger)(fact)
            except (AttributeError, MachineError):
                continue
        council.moved({name: model.state for name, model in regions.items()}, details)
        self.save(council)

    def stage(self, council_id: uuid.UUID) -> str:
        council: NaiveCouncil = self.repository.get(council_id)
        return derive_stage(council.states)


def naive_projection(
    starts: Sequence[CouncilStart], logs: Sequence[dict[str, list[tuple[int, Fact]]]], dates: Sequence[dt.date]
) -> int:
    """Replays each run's facts month by month through the naive application; returns council-years done."""
    for facts in logs:
        app = NaiveApp()
        ids = {start.code: app.register(start.code, dict(start.states)) for start in starts}
        position = dict.fromkeys(ids, 0)
        for month in dates[1:]:
            limit = month.toordinal()
            for code, council_id in ids.items():
                pending = facts[code]
                while position[code] < len(pending) and pending[position[code]][0] <= limit:
                    app.apply(council_id, pending[position[code]][1])
                    position[code] += 1
                app.stage(council_id)
    return len(logs) * len(starts)


# ----------------------------------------------------------------------------------------------------------------
# The runs' facts, drawn once by the kernel (for the naive way) and by the full engine.


def kernel_facts(
    starts: Sequence[CouncilStart], world: WorldModel, from_date: dt.date, years: int, seeds: Sequence[int]
) -> list[dict[str, list[tuple[int, Fact]]]]:
    tables = KernelTables(registry_for(None), from_date, sample_dates(from_date, years)[-1])
    samples = [day.toordinal() for day in sample_dates(from_date, years)]
    runs = []
    for seed in seeds:
        tally, facts = RunTally(samples, from_date.year, years), {}
        for start in starts:
            log: list[tuple[int, int, Any]] = []
            Lane(LaneStart.of(start, tables), tables, world, council_rng(seed, start.number), tally, log).run(
                samples[-1]
            )
            facts[start.code] = [
                (day, inspection_fact(extra) if action == -1 else action_fact(action, day, because=extra))
                for day, action, extra in log
            ]
        runs.append(facts)
    return runs


def full_engine(
    record_engine: Any, starts: Sequence[CouncilStart], world: WorldModel, from_date: dt.date, years: int,
    seeds: Sequence[int],
) -> int:  # fmt: skip
    until = sample_dates(from_date, years)[-1]
    for seed in seeds:
        for start in starts:
            sandbox = build_engine(Settings(backend="memory"), clock=VirtualClock(from_date))
            sandbox.store.save(*events_until(record_engine, record_engine.index.find(start.code), from_date))
            play_forward(sandbox, start, until, world, council_rng(seed, start.number))
            sandbox.close()
    return len(seeds) * len(starts)


# ----------------------------------------------------------------------------------------------------------------


def _children_cpu() -> float:
    """User and system CPU seconds of every finished worker process so far (wall time depends on the load)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def timed() -> Iterator[list[float]]:
    found: list[float] = []
    began = time.perf_counter()
    yield found
    found.append(time.perf_counter() - began)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--from", dest="from_date", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--naive-runs", type=int, default=2)
    parser.add_argument("--engine-runs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="100 runs, one naive run, no full-engine run")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.naive_runs, args.engine_runs = 100, 1, 0
    console = Console(width=max(Console().width, 120))

    with timed() as setup:
        record = RealRecord.load(OFSTED_CSV, SCENARIOS, register=DATA / "dfe_interventions.csv",
                                 timelines=sorted((DATA / "timelines").glob("*.yaml")))  # fmt: skip
        world = WorldModel.calibrated(record.calibration())
        without = WorldModel.calibrated(record.calibration(), switches=WorldSwitches.none())
        engine = record.replay(args.from_date)
        starts = national_start(engine, args.from_date)
    councils = len(starts)
    console.print(f"Real record replayed to {args.from_date} and calibrated in {setup[0]:.1f} s: {councils} councils")

    cpu_before = _children_cpu()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar, timed() as kernel_time:
        task = bar.add_task("Monte Carlo runs", total=args.runs)
        with executor_for(args.workers) as pool:
            simulate(args.from_date, args.years, args.runs, args.seed, None, pool, starts=starts, world=world,
                     progress=lambda n: bar.update(task, advance=n))  # fmt: skip
    kernel_years = args.runs * councils * args.years
    cpu_on = _children_cpu() - cpu_before
    with timed() as off_time, executor_for(args.workers) as pool:
        simulate(args.from_date, args.years, args.runs, args.seed, None, pool, starts=starts, world=without)
    cpu_off = _children_cpu() - cpu_before - cpu_on
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / MB

    seeds = run_seeds(args.seed + 1, args.naive_runs)
    logs = kernel_facts(starts, world, args.from_date, args.years, seeds)
    with timed() as naive_time:
        naive_councils = naive_projection(starts, logs, sample_dates(args.from_date, args.years))
    naive_years = naive_councils * args.years
    engine_years, engine_time = 0, [0.0]
    if args.engine_runs:
        with timed() as engine_time:
            engine_years = args.years * full_engine(
                engine, starts, world, args.from_date, args.years, run_seeds(args.seed + 2, args.engine_runs)
            )
    engine.close()

    kernel_rate = kernel_years / kernel_time[0]
    per_process = kernel_rate / max(1, args.workers)
    table = Table(title=f"National projection from {args.from_date}: {councils} councils x {args.years} years")
    for column in ("way", "runs", "council-years", "seconds", "council-years/s", "per process", "kernel is"):
        table.add_column(column, justify="right" if column != "way" else "left")
    table.add_row(f"kernel, every dynamic on, {args.workers} processes", str(args.runs), f"{kernel_years:,}",
                  f"{kernel_time[0]:.1f}", f"{kernel_rate:,.0f}", f"{per_process:,.0f}", "")  # fmt: skip
    off_rate = kernel_years / off_time[0]
    table.add_row(f"kernel, every dynamic off, {args.workers} processes", str(args.runs), f"{kernel_years:,}",
                  f"{off_time[0]:.1f}", f"{off_rate:,.0f}", f"{off_rate / max(1, args.workers):,.0f}",
                  f"{kernel_time[0] / off_time[0]:.2f}x the time with them on")  # fmt: skip
    naive_rate = naive_years / naive_time[0]
    table.add_row("naive, 1 process", str(args.naive_runs), f"{naive_years:,}",
                  f"{naive_time[0]:.1f}", f"{naive_rate:,.0f}", f"{naive_rate:,.0f}",
                  f"{per_process / naive_rate:,.0f}x faster per process")  # fmt: skip
    if engine_years:
        engine_rate = engine_years / engine_time[0]
        table.add_row("full engine, 1 process", str(args.engine_runs), f"{engine_years:,}",
                      f"{engine_time[0]:.1f}", f"{engine_rate:,.0f}", f"{engine_rate:,.0f}",
                      f"{per_process / engine_rate:,.0f}x faster per process")  # fmt: skip
    console.print(table)
    console.print("kernel: simulation/kernel.py on plain integers; naive: eventsourcing in-memory application with a "
                  "transitions Machine per region bound to each aggregate on every load; full engine: the world model "
                  "recording every fact through InterventionEngine (simulation/forward.py)")  # fmt: skip
    console.print(f"Time for the national projection ({args.runs} runs x {councils} councils x {args.years} years), "
                  f"every dynamic on: {kernel_time[0]:.1f} s on {args.workers} processes (target: 10 s on 2); "
                  f"every dynamic off: {off_time[0]:.1f} s")  # fmt: skip
    console.print(f"Load average while measuring (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; CPU "
                  f"seconds in the workers, every dynamic on: {cpu_on:.1f} (about {cpu_on / args.workers:.1f} s of "
                  f"wall time on {args.workers} idle processes), off: {cpu_off:.1f}")  # fmt: skip
    console.print(f"Peak memory (maximum resident set): this process {parent_mb:,.0f} MB, largest worker "
                  f"{worker_mb:,.0f} MB (target: under 2 GB)")  # fmt: skip
    console.print(f"Ratio to the naive way, per process: {per_process / naive_rate:,.0f}x (target: at least 10x); "
                  f"wall clock, {args.workers} processes against one: {kernel_rate / naive_rate:,.0f}x")  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1:])
