"""Sweep benchmark: 10 policy variants x 1,000 runs x every council x 10 years, written as one tidy Parquet table.

    .venv/bin/python benchmarks/sweep.py [--runs 1000] [--years 10] [--from 2025-01-01] [--workers 2] [--out FILE]

1. Reads the real record (ofsted_inspections.csv and scenarios/), replays it up to `--from` and calibrates the world
   model (timed apart: every variant starts from that state).
2. Baseline, measured in the same run: one national projection, `simulate(...)` (the Monte Carlo the sweep's
   variants each are), `--runs` runs on the same process pool.
3. The sweep: the six DfE regimes applied to every date plus the regimes in force, and the in-force regimes with
   three shares of commissioners recommending alternative delivery (10 variants), `--runs` runs each, streamed to
   a Parquet file batch by batch. Prints the wall time, rows per second, the time per variant against the
   baseline projection, the file's size, the CPU time of every process (which the machine's load does not change,
   so it says what the sweep takes on idle cores), and peak memory (this process; the largest worker).

Figures are printed, never asserted: timing belongs in benchmarks, not in tests.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from intervention_engine.simulation import RealRecord, WorldModel, simulate, sweep
from intervention_engine.simulation.start import national_start

ROOT = Path(__file__).resolve().parents[1]
OFSTED_CSV = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared") / "data" / "ofsted_inspections.csv"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
MB = 1024  # ru_maxrss is in kilobytes on Linux
POLICIES = ["in-force", "dfe-2013", "dfe-2013-11", "dfe-2015-12", "dfe-2016-07", "dfe-2022", "dfe-2026-04"]


@contextmanager
def cpu_time() -> Iterator[list[float]]:
    """CPU seconds (user and system) of this process and of the child processes ended inside the block."""

    def used() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    found, before = [0.0], used()
    yield found
    found[0] = used() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--from", dest="start", default="2025-01-01")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="the Parquet file (default: a temporary one)")
    args = parser.parse_args()
    start = dt.date.fromisoformat(args.start)

    began = time.perf_counter()
    record = RealRecord.load(OFSTED_CSV, SCENARIOS)
    engine = record.replay(start)
    starts = national_start(engine, start)
    engine.close()
    world = WorldModel.calibrated(record.calibration())
    print(f"Record read, replayed to {start} and calibrated in {time.perf_counter() - began:.1f} s "
          f"({len(starts)} councils)")  # fmt: skip

    # Each part on a pool of its own, so the CPU time its workers used is known when the pool has shut down.
    with cpu_time() as baseline_cpu, cf.ProcessPoolExecutor(max_workers=args.workers) as pool:
        pool.submit(int).result()  # the workers are started before the clock runs
        began = time.perf_counter()
        simulate(start, args.years, args.runs, 1, executor=pool, starts=starts, world=world)
        baseline = time.perf_counter() - began

    # 7 policies (in force, and each regime on every date) and 3 more shares for the regimes in force: 10.
    with cpu_time() as sweep_cpu, cf.ProcessPoolExecutor(max_workers=args.workers) as pool:
        pool.submit(int).result()
        planned = sweep(start, args.years, args.runs, 1, world=world, policies=POLICIES, starts=starts, executor=pool)
        shares = sweep(start, args.years, args.runs, 1, world=world, starts=starts, executor=pool,
                       grid={"p_alternative_delivery": [0.25, 0.5, 0.9]})  # fmt: skip
        with tempfile.TemporaryDirectory() as folder:
            out = args.out or Path(folder) / "sweep.parquet"
            began = time.perf_counter()
            rows = planned.write(out)
            size = out.stat().st_size
            rows += shares.write(out.with_name("shares.parquet"))
            size += out.with_name("shares.parquet").stat().st_size
            took = time.perf_counter() - began
    variants = len(planned.variants) + len(shares.variants)
    council_years = variants * args.runs * len(starts) * args.years
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / MB
    print()
    print(
        f"Baseline: one national projection (simulate), {args.runs} runs: {baseline:.1f} s on {args.workers} processes"
    )
    print(f"Sweep: {variants} variants x {args.runs} runs x {len(starts)} councils x {args.years} years "
          f"({council_years:,} council-years): {took:.1f} s on {args.workers} processes (target: 90 s)")  # fmt: skip
    print(f"  {rows:,} rows written ({size / 1e6:.1f} MB of Parquet), {rows / took:,.0f} rows/s, "
          f"{council_years / took:,.0f} council-years/s")  # fmt: skip
    print(f"  per variant {took / variants:.1f} s: {took / variants / baseline:.2f}x the baseline projection")
    print(f"CPU time (all processes; the machine's load does not change it): baseline {baseline_cpu[0]:.1f} s, "
          f"sweep {sweep_cpu[0]:.1f} s ({sweep_cpu[0] / variants / baseline_cpu[0]:.2f}x the baseline per variant); "
          f"on {args.workers} idle cores the sweep would take about {sweep_cpu[0] / args.workers:.0f} s")  # fmt: skip
    print(
        f"Peak memory (maximum resident set): this process {own:.0f} MB, largest worker {workers:.0f} MB "
        "(target: under 2 GB)"
    )


if __name__ == "__main__":
    main()
