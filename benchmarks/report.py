"""Report benchmark: `intervention-engine report` for every council of the national record, against the old
sequential way measured in the same run.

    .venv/bin/python benchmarks/report.py [--workers N] [--repeat 1] [--no-old-code]

The store is built first (not timed): the national Ofsted record, the DfE register, the research timelines and the
scenario files replayed into a fresh SQLite file, as `make demo` does (`SHARED_DIR` names the shared data).

1. Now: `intervention-engine report --quiet` in a fresh process (start-up included), the charts drawn in parallel
   processes, each once, as SVG.
2. The old way, in the same run: the same data and today's charts, drawn one after another in this process and each
   saved as SVG and as PNG (what `report` did before issue 13).
3. The old code itself, when git can give it (the commit before issue 13, `OLD_COMMIT`): its `report` command run
   on the same store in a fresh process (its constrained layout and a legend under every council chart included).

Wall-clock seconds, the ratio of each baseline to now, the CPU seconds each spent (user and system, the drawing
processes included), and the machine's cores and load average: other processes share the cores, and the target of
issue 13, at most 10 s on 2 cores, is for idle ones, where a run takes about its CPU seconds over the cores it
keeps busy. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import matplotlib

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.history import load_scenario
from intervention_engine.history.national import replay_record
from intervention_engine.history.neighbours import read_council_table
from intervention_engine.history.ofsted_csv import read_ofsted_csv
from intervention_engine.history.register import read_register
from intervention_engine.history.timelines import read_timeline
from intervention_engine.reports import collect
from intervention_engine.reports.build import DRAWERS, chart_jobs
from intervention_engine.reports.charts import svg_text
from intervention_engine.reports.style import RC_PARAMS

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SHARED_DIR") or ROOT.parent / "shared").resolve() / "data"
OLD_COMMIT = "ccf0df0"  # main before issue 13: charts one after another, SVG and PNG each


def build_store(db: Path) -> None:
    ofsted = read_ofsted_csv(DATA / "ofsted_inspections.csv")
    register = read_register(DATA / "dfe_interventions.csv")
    timelines = [read_timeline(path) for path in sorted((DATA / "timelines").glob("*.yaml"))]
    scenarios = [load_scenario(path) for path in sorted((ROOT / "scenarios").glob("*.yaml"))]
    engine = build_engine(Settings(db=db), clock=VirtualClock(dt.date(2000, 1, 1)))
    try:
        replay_record(engine, scenarios=scenarios, timelines=timelines, register=register, ofsted=ofsted,
                      until=dt.date.today())  # fmt: skip
    finally:
        engine.close()


Timing = tuple[float, float]  # wall-clock seconds, CPU seconds


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command: list[str], **kwargs: object) -> Timing:
    """Run `command` to its end; its wall-clock and CPU seconds (its own child processes included)."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - started, children_cpu() - cpu


def now(db: Path, out: Path, workers: int | None) -> Timing:
    command = [sys.executable, "-m", "intervention_engine.cli", "report", "--quiet", "--db", str(db), "--out",
               str(out), "--councils", str(DATA / "councils.csv")]  # fmt: skip
    command += ["--workers", str(workers)] if workers else []
    return timed_run(command, cwd=ROOT)


def old_way(db: Path, out: Path) -> tuple[Timing, int]:
    """Today's charts drawn one after another here, each saved as SVG and PNG; the seconds and the chart count."""
    started, cpu = time.perf_counter(), time.process_time()
    engine = build_engine(Settings(db=db), clock=VirtualClock(dt.date.today()), read_only=True)
    try:
        data = collect(engine, (), read_council_table(DATA / "councils.csv"))
    finally:
        engine.close()
    jobs = list(chart_jobs(data))
    out.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC_PARAMS):
        for number, (_, (kind, payload)) in enumerate(jobs):
            figure = DRAWERS[kind](payload)
            (out / f"{number}.svg").write_text(svg_text(figure), encoding="utf-8")
            figure.savefig(out / f"{number}.png", format="png", dpi=110)
    return (time.perf_counter() - started, time.process_time() - cpu), len(jobs)


def old_code(db: Path, out: Path, scratch: Path) -> Timing | None:
    """The report command of `OLD_COMMIT`, run on the same store; None if git cannot give that commit."""
    archive = scratch / "old.tar"
    with archive.open("wb") as handle:
        made = subprocess.run(["git", "archive", OLD_COMMIT, "src"], cwd=ROOT, stdout=handle, check=False,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    if made.returncode != 0:
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(scratch / "old", filter="data")
    command = [sys.executable, "-m", "intervention_engine.cli", "report", "--db", str(db), "--out", str(out), "--json"]
    env = {**os.environ, "PYTHONPATH": str(scratch / "old" / "src")}
    return timed_run(command, env=env, cwd=scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None, help="processes drawing charts (default: one per core)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best is printed")
    parser.add_argument("--no-old-code", action="store_true", help=f"skip the report command of {OLD_COMMIT}")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        db = scratch / "national.sqlite"
        started = time.perf_counter()
        build_store(db)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"store: the national record replayed in {time.perf_counter() - started:.1f} s; {cores} cores; "
              f"load average {os.getloadavg()[0]:.2f} before the runs")  # fmt: skip
        fast = min(now(db, scratch / f"now-{n}", args.workers) for n in range(args.repeat))
        slow, charts = min(old_way(db, scratch / f"old-way-{n}") for n in range(args.repeat))
        print(f"report, {charts} charts: wall-clock seconds (ratio to now), CPU seconds")
        print(f"  now (parallel processes, SVG only, fresh process): {line(fast, fast)}")
        print(f"  old way (one after another, SVG and PNG):          {line(slow, fast)}")
        if not args.no_old_code:
            olds = [old_code(db, scratch / f"old-code-{n}", scratch) for n in range(args.repeat)]
            old = min((timing for timing in olds if timing is not None), default=None)
            if old is None:
                print(f"  old code ({OLD_COMMIT}): git cannot give it here; skipped")
            else:
                print(f"  old code ({OLD_COMMIT}, fresh process):            {line(old, fast)}")
        print(f"load average {os.getloadavg()[0]:.2f} after the runs (target: at most 10 s on 2 idle cores)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def line(timing: Timing, fast: Timing) -> str:
    return f"{timing[0]:6.2f} s ({timing[0] / fast[0]:4.1f}x)   CPU {timing[1]:6.2f} s"


if __name__ == "__main__":
    main()
