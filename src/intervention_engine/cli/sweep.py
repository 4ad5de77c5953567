"""`intervention-engine sweep`: a grid of policies x world-model parameters x seeds, as one tidy table on disk."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.markup import escape

from .app import BadArgument, JsonOption, app, emit, progress_bar, reporting, required_day, runs_done
from .whatif import (
    FromOption,
    NationalCsvOption,
    RecordFilesArgument,
    RegisterOption,
    WorkersOption,
    YearsOption,
    national_record,
)

if TYPE_CHECKING:  # the simulation (numpy, pyarrow) is imported when the command runs: a quick --help
    from ..simulation.sweep import Sweep

IN_FORCE = "in-force"  # simulation.sweep.IN_FORCE: the policy column's name for the regimes in force on each date


def parse_setting(text: str) -> tuple[str, list[Any]]:
    """`NAME=V1,V2,...`: a world-model parameter and the values the grid gives it (each read as YAML: 0.5, null,
    true, 30)."""
    name, equals, values = text.partition("=")
    if not equals or not name.strip() or not values.strip():
        raise BadArgument(f"--set {text!r}: write NAME=VALUE[,VALUE...], e.g. p_alternative_delivery=0.5,0.7")
    try:
        return name.strip(), [yaml.safe_load(value) for value in values.split(",")]
    except yaml.YAMLError:
        raise BadArgument(f"--set {text!r}: a value is not readable") from None


@contextmanager
def cluster_executor(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask cluster's executor (`--scheduler tcp://HOST:PORT`), or a local process pool."""
    from ..simulation.montecarlo import executor_for

    if scheduler is None:
        with executor_for(workers) as pool:
            yield pool
        return
    try:
        from distributed import Client
    except ImportError:
        raise BadArgument("--scheduler needs Dask: pip install 'intervention_engine[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError) as error:
        raise BadArgument(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({error})") from None
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]


def _text(result: Sweep, rows: int, out: Path) -> list[str]:
    def band(values: dict[str, float]) -> str:
        return f"{values['median']:g} ({values['p5']:g} to {values['p95']:g})"

    lines = [f"{rows:,} rows ({len(result.variants)} variants x {result.runs} runs x {len(result.dates)} dates x "
             f"stages) written to {out}", "", "At the end, median (90% of runs):"]  # fmt: skip
    for row in result.summary():
        lines += [f"  {row['variant']:>3}  {result.variants[row['variant']].label()}",
                  f"       in intervention {band(row['in_intervention_at_end'])}, "
                  f"out of council control {band(row['out_of_council_control_at_end'])}"]  # fmt: skip
    return lines


@app.command()
def sweep(
    ofsted_csv: NationalCsvOption,
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="the table: .parquet or .csv")],
    scenarios: RecordFilesArgument = None,
    dfe_register: RegisterOption = None,
    from_date: FromOption = "",
    years: YearsOption = 10,
    runs: Annotated[int, typer.Option("--runs", help="Monte Carlo runs per variant")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="master seed (every variant plays the same runs)")] = 0,
    policy: Annotated[
        list[str] | None,
        typer.Option("--policy", help=f"a DfE regime for every date, e.g. dfe-2016-07, or {IN_FORCE} (repeatable)"),
    ] = None,
    setting: Annotated[
        list[str] | None,
        typer.Option("--set", help="a world-model parameter and its values: NAME=V1,V2 (repeatable)"),
    ] = None,
    workers: WorkersOption = None,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="a Dask scheduler, tcp://HOST:PORT (the [dask] extra)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a grid of policies x world-model parameters, each a national Monte Carlo from the real state on a day,
    and write one tidy table: a row per variant x run x month x stage."""
    from ..simulation import WorldModel
    from ..simulation import sweep as sweep_grid
    from ..simulation.sweep import SUFFIXES, check_counts, variants

    with reporting(as_json):
        start = required_day(from_date, "--from")
        if out.suffix not in SUFFIXES:
            raise BadArgument(f"--out {out}: write .parquet or .csv, not {out.suffix or 'no suffix'!r}")
        grid = dict(parse_setting(text) for text in setting or ())
        record = national_record(ofsted_csv, scenarios, dfe_register)  # as simulate and backtest read it
        world = WorldModel.calibrated(record.calibration())
        try:
            check_counts(runs, years)  # refused here, before the record is replayed
            made = variants(world, policy or [IN_FORCE], grid)  # checked here, before the record is replayed
            engine = record.replay(start)
            try:
                planned = sweep_grid(start, years, runs, seed, world=world, engine=engine, planned=made)
            finally:
                engine.close()
        except ValueError as error:
            raise BadArgument(str(error)) from None
        total = runs * len(planned.variants)
        with progress_bar(as_json, total, "Sweeping") as tick, cluster_executor(scheduler, workers) as pool:
            planned.executor, planned.progress = pool, runs_done(tick)
            rows = planned.write(out)
        data = {"out": str(out), "rows": rows, "from": start.isoformat(), "years": years, "runs": runs, "seed": seed,
                "variants": planned.summary()}  # fmt: skip
        emit(as_json, data, lambda: [escape(line) for line in _text(planned, rows, out)])
