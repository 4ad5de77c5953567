"""Commands on the real record: replay scenarios, research timelines and the Ofsted CSV; counts, calibration, report."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ..clock import SystemClock, VirtualClock
from .app import (
    BadArgument,
    DbOption,
    ExitCode,
    JsonOption,
    app,
    emit,
    files_in,
    open_engine,
    parse_day,
    progress_bar,
    reporting,
)
from .exports import ByOption
from .neighbours import DEFAULT_COUNCILS_CSV

# The importers, the simulation and the report are imported by the commands that use them: a quick --help.

CouncilsCsvOption = Annotated[
    Path | None,
    typer.Option("--councils", dir_okay=False, help="council identity table (default: councils.csv beside the CSV)"),
]


@app.command()
def replay(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="scenario files, or research timelines (YAML with `la_key`), one council each; a folder stands for "
            "its .yaml, .yml and .json files",
            show_default=False,
        ),
    ] = None,
    ofsted_csv: Annotated[
        Path | None, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted inspections CSV")
    ] = None,
    dfe_register: Annotated[
        Path | None,
        typer.Option(
            "--dfe-register", dir_okay=False, help="the DfE register of interventions (dfe_interventions.csv)"
        ),
    ] = None,
    councils_csv: CouncilsCsvOption = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", dir_okay=False, help="research types → facts, for timelines (docs/timeline-mapping.md)"
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="replay up to this date, YYYY-MM-DD (default today)")
    ] = None,
    show_timelines: Annotated[bool, typer.Option("--timelines", help="print every council's timeline")] = False,
    lenient: Annotated[bool, typer.Option("--lenient", help="record forbidden moves as deviations")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replay scenario files, research timelines, the DfE register and the national Ofsted record into the store
    under the policies in force, each council's sources merged (one fact from two sources is recorded once)."""
    from ..history.council_names import directory_of
    from ..history.national import gather, replay_record, replay_summary
    from ..history.ofsted_csv import read_ofsted_csv
    from ..history.register import read_register, register_report
    from ..history.scenario import checkpoint_results, load_scenario
    from ..history.timelines import is_research_timeline, read_timeline, timeline_report
    from ..history.vocabulary import load_mapping
    from .tables import checkpoint_data, replay_tables

    with reporting(as_json):
        files = files_in(files)
        if not files and ofsted_csv is None and dfe_register is None:
            raise BadArgument("give scenario files or research timelines, --ofsted-csv FILE, --dfe-register FILE")
        until = parse_day(as_of, "--as-of") or SystemClock().today()
        # Every input is read and checked before anything is recorded.
        notes = [path for path in files or () if is_research_timeline(path)]
        scenarios = [load_scenario(path) for path in files or () if path not in notes]
        vocabulary = load_mapping(mapping) if mapping else None
        councils = directory_of(councils_csv) if councils_csv else None  # read once for every source
        timelines = [read_timeline(path, councils, vocabulary) for path in notes]
        ofsted = read_ofsted_csv(ofsted_csv, councils) if ofsted_csv else None
        register = read_register(dfe_register, councils) if dfe_register else None
        gathered = gather(scenarios, timelines, register, ofsted)
        total = len(gathered)
        with open_engine(db, VirtualClock(), lenient) as engine, progress_bar(as_json, total, "Replaying") as tick:
            report = replay_record(
                engine,
                scenarios=scenarios,
                timelines=timelines,
                register=register,
                ofsted=ofsted,
                until=until,
                progress=tick,
                gathered=gathered,
            )
            # A checkpoint after `--as-of` speaks of what the replay has not reached yet.
            checks = [
                (s.origin, s.council.code, [r for r in checkpoint_results(engine, s) if r.on <= until])
                for s in scenarios
            ]
            summary = replay_summary(engine, report, until, with_timelines=as_json or show_timelines)
        holds = all(result.holds for *_, results in checks for result in results)
        data = {
            **summary, "files": checkpoint_data(checks), "all_checkpoints_hold": holds,
            "timelines": [timeline_report(found) for found in timelines],
            "register": register_report(register) if register else None,
        }  # fmt: skip
        emit(as_json, data, lambda: replay_tables(summary, checks, show_timelines))
    if not holds:
        raise typer.Exit(ExitCode.checkpoints_failed)


@app.command()
def national(
    on: Annotated[list[str] | None, typer.Option("--on", help="a date, YYYY-MM-DD (repeatable)")] = None,
    by: ByOption = None,
    councils_csv: Annotated[
        Path | None, typer.Option("--councils", dir_okay=False, help="council identity table, for regions (--by)")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Councils in each stage on given dates (default: 31 March of every year since 2014), with the councils in DfE
    intervention (a floor where the DfE record is not covered) and how many have their DfE record covered; --by region
    gives one count per region."""
    from .exports import national_tables

    with reporting(as_json), open_engine(db, SystemClock(), existing=True) as engine:
        days = [day for text in on or () if (day := parse_day(text, "--on")) is not None]
        counts = engine.national(days or None, by_region=by is not None, councils_csv=councils_csv)
        emit(as_json, [count.to_dict() for count in counts], lambda: national_tables(counts))


@app.command()
def calibrate(
    ofsted_csv: Annotated[
        Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted inspections CSV")
    ],
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="scenario files or research timelines (or folders of them): DfE cases beside the register"),
    ] = None,
    dfe_register: Annotated[
        Path | None, typer.Option("--dfe-register", dir_okay=False, help="the DfE register (dfe_interventions.csv)")
    ] = None,
    councils_csv: CouncilsCsvOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="also write the calibration as JSON here")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What simulations need from the real record: grade transitions, inspection intervals, DfE lags and rates, each
    with its number of cases and a bootstrap interval (a parameter with too few cases names its fallback)."""
    from ..history.timelines import is_research_timeline
    from ..simulation.parameters import world_parameters
    from ..simulation.record import RealRecord
    from .tables import calibration_tables, parameters_table

    with reporting(as_json):
        named = files_in(files)
        notes = [path for path in named if is_research_timeline(path)]
        record = RealRecord.load(
            ofsted_csv, [path for path in named if path not in notes], councils_csv,
            register=dfe_register, timelines=notes,
        )  # fmt: skip
        result = record.calibration()
        data = result.to_dict()
        if out is not None:
            out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        parameters = world_parameters(result)
        data["world_parameters"] = [parameter.to_dict() for parameter in parameters]
        emit(as_json, data, lambda: [*calibration_tables(result, out), *parameters_table(parameters)])


@app.command()
def failures(
    ofsted_csv: Annotated[
        Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted inspections CSV")
    ],
    councils_csv: CouncilsCsvOption = None,
    as_json: JsonOption = False,
) -> None:
    """Persistent and systemic inadequate judgements in the record, and which expect a commissioner (DFE-03)."""
    from ..simulation.failure_tracks import failure_tracks

    with reporting(as_json):
        found = failure_tracks(ofsted_csv, councils_csv)
        emit(as_json, found.to_dict(), lambda: [escape(found.text())])


@app.command("register-counts")
def register_counts_command(
    register: Annotated[Path, typer.Argument(dir_okay=False, help="the DfE register (dfe_interventions.csv)")],
    db: Annotated[
        Path | None,
        typer.Option("--db", dir_okay=False, help="a store with every source replayed (make demo's demo.sqlite)"),
    ] = None,
) -> None:
    """Councils in DfE intervention on 31 March of each year: the register's rows counted plainly, the engine's
    count of the register alone, and (with --db) the engine's count of every source, a floor where not covered."""
    from ..bootstrap import build_engine
    from ..reports.register_counts import FIRST_YEAR, LAST_YEAR, engine_counts, register_alone, register_counts, table
    from ..settings import Settings

    with reporting(False):
        years = list(range(FIRST_YEAR, LAST_YEAR + 1))
        sandbox = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
        try:
            alone = register_alone(register, years, sandbox)
        finally:
            sandbox.close()
        every: dict[int, tuple[int, bool]] = {}
        if db is not None:
            with open_engine(db, SystemClock(), existing=True) as engine:
                every = engine_counts(engine, years)
        typer.echo(table(register_counts(register, years), alone, every))


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="folder for index.html and the chart files")
    ] = Path("report"),
    council: Annotated[
        list[str] | None,
        typer.Option("--council", help="council code or name (repeatable; default: every council with a DfE fact)"),
    ] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option(
            "--councils",
            dir_okay=False,
            help="council identity table, for each council's statistical neighbours (default: "
            f"{DEFAULT_COUNCILS_CSV} if it is there)",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="processes drawing the charts (default: one per core)")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML report (no network needed): lifecycle diagram, national chart and by region, council timelines
    with their statistical neighbours, deviations (sortable, filterable, as CSV). A progress bar on stderr while
    the charts are drawn (in parallel processes), unless --quiet, --json or stderr is not a terminal."""
    from ..reports import collect as collect_report
    from ..reports import write_report
    from ..reports.build import chart_count
    from .neighbours import council_table

    with reporting(as_json):
        table = council_table(councils_csv)
        with open_engine(db, SystemClock(), existing=True) as engine:
            data = collect_report(engine, council or (), table)
        silent = quiet or as_json or not sys.stderr.isatty()
        with progress_bar(silent, chart_count(data), "Drawing") as tick:
            written = write_report(data, out, progress=tick, workers=workers)
        message = f"Report written to {written.index} ({len(written.councils)} council timelines)"
        emit(as_json, written.to_dict(), lambda: [escape(message)])
