"""The `intervention-engine` command line: a thin face on `InterventionEngine` (DESIGN decision 11).

It only turns strings into facts and dates, calls the engine, and turns results into rich tables (or JSON with
`--json`) and errors into exit codes. No rule lives here.

Exit codes:
    0  done
    1  a replay finished but some of its checkpoints do not hold
    2  input refused: bad option or argument, malformed fact or scenario file, impossible date, a move the
       rulebook forbids, a fact out of order or in the future, unusable settings
    3  the council is not registered

Errors are one line on stderr (a JSON object with `--json`), never a traceback; nothing is recorded by a command
that fails, except the facts before the refused one when a file holds a list of facts.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .bootstrap import build_engine
from .clock import Clock, SystemClock, VirtualClock
from .engine import CouncilStatus, InterventionEngine, Recorded, TimelineEntry
from .errors import ConfigurationError, CouncilNotFound, InterventionError
from .facts import Fact, parse_fact
from .history.national import replay_record, replay_summary
from .history.ofsted_csv import read_ofsted_csv
from .history.scenario import (
    CheckpointResult,
    checkpoint_results,
    load_facts,
    load_scenario,
    scenario_json_schema,
)
from .history.timelines import is_research_timeline, read_timeline, timeline_report
from .policies.rulebook import Rulebook
from .projections.council_index import DueTimer
from .reports import collect as collect_report
from .reports import write_report
from .scheduling.service import run_service
from .settings import Settings
from .simulation import Branch, RealRecord, WorldModel
from .simulation import backtest as backtest_record
from .simulation import branch as branch_of
from .simulation import counterfactual as counterfactual_replay
from .simulation import simulate as simulate_national
from .simulation.calibration import Calibration
from .simulation.calibration import calibrate as calibrate_record
from .simulation.charts import fan_chart, save_figure, timelines_chart
from .simulation.montecarlo import executor_for


class ExitCode(IntEnum):
    ok = 0
    checkpoints_failed = 1
    refused = 2
    not_found = 3


class BadArgument(ValueError):
    """A command-line argument that cannot be read (a date, a JSON string)."""


app = typer.Typer(
    name="intervention-engine",
    help="Record, replay and query the DfE intervention regime for councils' children's services.",
    epilog="Exit codes: 0 done; 1 replay checkpoints do not hold; 2 input refused; 3 council not registered.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", dir_okay=False, help="SQLite file (default: INTERVENTION_ENGINE_DB or intervention_engine.sqlite)"
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable JSON on stdout")]


# ----------------------------------------------------------------------------------------------------------------
# Commands.


@app.command()
def record(
    council: Annotated[str, typer.Argument(help="council code or name (the code, for council_registered)")],
    fact: Annotated[str, typer.Argument(help="a fact as a JSON object, or @FILE holding one fact or a list")],
    lenient: Annotated[bool, typer.Option("--lenient", help="record a forbidden move as a deviation")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record one fact (or every fact of a file, in order) for a council."""
    with reporting(as_json):
        facts = _read_facts(fact)
        with _engine(db, SystemClock()) as engine:
            recorded = _record_all(engine, council, facts, lenient)
        _emit(as_json, {"recorded": [item.to_dict() for item in recorded]}, lambda: recorded_table(recorded))


@app.command()
def status(
    council: Annotated[str, typer.Argument(help="council code or name")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="a date in the world, YYYY-MM-DD")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where a council stands on the intervention path, now or on a date."""
    with reporting(as_json):
        day = _day(as_of, "--as-of")
        with _engine(db, SystemClock(), existing=True) as engine:
            found = engine.state(council, as_of=day)
        _emit(as_json, found.to_dict(), lambda: status_tables(found))


@app.command()
def timeline(
    council: Annotated[str, typer.Argument(help="council code or name")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every stored event of a council, in order."""
    with reporting(as_json), _engine(db, SystemClock(), existing=True) as engine:
        entries = engine.timeline(council)
        _emit(as_json, [entry.to_dict() for entry in entries], lambda: [timeline_table(entries)])


@app.command()
def due(
    until: Annotated[str | None, typer.Option("--until", help="only timers due by this date, YYYY-MM-DD")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pending timers across all councils, by due date."""
    with reporting(as_json):
        day = _day(until, "--until")
        with _engine(db, SystemClock(), existing=True) as engine:
            timers = engine.due(day)
        _emit(as_json, [timer.to_dict() for timer in timers], lambda: [due_table(timers)])


@app.command()
def deviations(
    council: Annotated[str | None, typer.Argument(help="council code or name (all councils when omitted)")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="as recorded by this date, YYYY-MM-DD")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where the record departs from the policy in force: rule, policy version, expected, happened, when."""
    with reporting(as_json):
        day = _day(as_of, "--as-of")
        with _engine(db, SystemClock(), existing=True) as engine:
            found = engine.deviations(council, as_of=day)
        _emit(as_json, found, lambda: [deviations_table(found)])


@app.command()
def diagram(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The lifecycle rulebook as a Mermaid state diagram."""
    text = Rulebook().mermaid()
    typer.echo(json.dumps({"mermaid": text}) if as_json else text, nl=as_json)


@app.command()
def replay(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="scenario files, or research timelines (YAML with `la_key`), one council each",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    ofsted_csv: Annotated[
        Path | None, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted inspections CSV")
    ] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option(
            "--councils", dir_okay=False, help="council identity table (default: councils.csv beside the CSV)"
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
    """Replay scenario files and/or the national Ofsted record into the store under the policies in force."""
    with reporting(as_json):
        if not files and ofsted_csv is None:
            raise BadArgument("give scenario files, --ofsted-csv FILE, or both")
        until = _day(as_of, "--as-of") or SystemClock().today()
        # Every input is read and checked before anything is recorded.
        notes = [path for path in files or () if is_research_timeline(path)]
        scenarios = [load_scenario(path) for path in files or () if path not in notes]
        timelines = [read_timeline(path, councils_csv) for path in notes]
        ofsted = read_ofsted_csv(ofsted_csv, councils_csv) if ofsted_csv else None
        total = len(scenarios) + len(timelines) + (len(ofsted.councils) if ofsted else 0)
        with _engine(db, VirtualClock(), lenient) as engine, _progress(as_json, total, "Replaying") as tick:
            report = replay_record(
                engine, scenarios=scenarios, timelines=timelines, ofsted=ofsted, until=until, progress=tick
            )
            checks = [(s.origin, s.council.code, checkpoint_results(engine, s)) for s in scenarios]
            summary = replay_summary(engine, report, until, with_timelines=as_json or show_timelines)
        holds = all(result.holds for *_, results in checks for result in results)
        data = {
            **summary, "files": _checkpoint_data(checks), "all_checkpoints_hold": holds,
            "timelines": [timeline_report(found) for found in timelines],
        }  # fmt: skip
        _emit(as_json, data, lambda: replay_tables(summary, checks, show_timelines))
    if not holds:
        raise typer.Exit(ExitCode.checkpoints_failed)


@app.command()
def national(
    on: Annotated[list[str] | None, typer.Option("--on", help="a date, YYYY-MM-DD (repeatable)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Councils in each stage and with each grade on given dates (default: 31 March of every year on record)."""
    with reporting(as_json), _engine(db, SystemClock(), existing=True) as engine:
        days = [day for text in on or () if (day := _day(text, "--on")) is not None]
        counts = engine.national(days or None)
        _emit(as_json, [count.to_dict() for count in counts], lambda: [national_table(counts)])


@app.command()
def calibrate(
    ofsted_csv: Annotated[
        Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted inspections CSV")
    ],
    scenarios: Annotated[
        list[Path] | None, typer.Argument(help="scenario files giving the lags between DfE steps", dir_okay=False)
    ] = None,
    councils_csv: Annotated[
        Path | None,
        typer.Option(
            "--councils", dir_okay=False, help="council identity table (default: councils.csv beside the CSV)"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", dir_okay=False, help="also write the calibration as JSON here")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What simulations need from the real record: grade transitions, inspection intervals, lags."""
    with reporting(as_json):
        found = read_ofsted_csv(ofsted_csv, councils_csv)
        result = calibrate_record(found, [load_scenario(path) for path in scenarios or ()])
        data = result.to_dict()
        if out is not None:
            out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _emit(as_json, data, lambda: calibration_tables(result, out))


@app.command()
def report(
    out: Annotated[
        Path, typer.Option("--out", file_okay=False, help="folder for index.html and the chart files")
    ] = Path("report"),
    council: Annotated[
        list[str] | None,
        typer.Option("--council", help="council code or name (repeatable; default: every council with a DfE fact)"),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an HTML report (no network needed): lifecycle diagram, council timelines, national chart, deviations."""
    with reporting(as_json):
        with _engine(db, SystemClock(), existing=True) as engine:
            data = collect_report(engine, council or ())
        with _progress(as_json, len(data.councils), "Drawing") as tick:
            written = write_report(data, out, progress=tick)
        message = f"Report written to {written.index} ({len(written.councils)} council timelines)"
        _emit(as_json, written.to_dict(), lambda: [escape(message)])


@app.command()
def run(
    db: DbOption = None,
    resync_every: Annotated[
        float, typer.Option("--resync-every", min=1.0, help="seconds between re-reads of timers other processes set")
    ] = 60.0,
) -> None:
    """Fire this database's timers as they fall due, in the foreground, until Ctrl-C (one scheduler per database)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with reporting(False):
        settings = Settings(db=db) if db is not None else Settings()
        run_service(settings, resync_every=resync_every)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on")] = 8000,
    db: DbOption = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="never run the database's timer scheduler in this process")
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until Ctrl-C. Backend, PostgreSQL and API tokens come from the
    INTERVENTION_ENGINE_* environment (see the README); one process per database runs the timers, others stand by."""
    from .service.server import run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with reporting(False):
        settings = Settings(db=db) if db is not None else Settings()
        run_server(settings, host=host, port=port, scheduler=not no_scheduler)


@app.command()
def schema(db: DbOption = None, as_json: JsonOption = False) -> None:
    """The JSON Schema of scenario files."""
    typer.echo(json.dumps(scenario_json_schema(), indent=None if as_json else 2))


# What-if and Monte Carlo (simulation/): branches, national projections, backtest, counterfactual replay.

OfstedCsvOption = Annotated[
    Path | None, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV (calibrates the world)")
]
PolicyOption = Annotated[
    str | None, typer.Option("--policy", help="one DfE regime for every date, e.g. dfe-2016-07 (default: in force)")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=0, help="worker processes (default one per CPU; 0: this process)")
]


@app.command()
def whatif(
    council: Annotated[str | None, typer.Argument(help="council code or name (not with --branch)")] = None,
    at: Annotated[str | None, typer.Option("--at", help="fork at the end of this day, YYYY-MM-DD")] = None,
    until: Annotated[str, typer.Option("--until", help="play the branch to this day, YYYY-MM-DD")] = "",
    policy: PolicyOption = None,
    keep: Annotated[
        str, typer.Option("--keep", help="baseline facts kept after the fork: none, ofsted (its reports) or all")
    ] = "none",
    add: Annotated[list[str] | None, typer.Option("--add", help="a fact (JSON or @FILE) on the branch")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="a baseline fact left out: DATE:TYPE")] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the world model")] = 0,
    fixed_lags: Annotated[int | None, typer.Option("--fixed-lags", help="the DfE acts after this many days")] = None,
    no_world: Annotated[bool, typer.Option("--no-world", help="no world model: only the facts given")] = False,
    ofsted_csv: OfstedCsvOption = None,
    scenario: Annotated[list[Path] | None, typer.Option("--scenario", help="scenario file for DfE lags")] = None,
    name: Annotated[str, typer.Option("--name", help="the branch's name")] = "what-if",
    branch_file: Annotated[Path | None, typer.Option("--branch", dir_okay=False, help="a saved branch")] = None,
    save: Annotated[Path | None, typer.Option("--save", dir_okay=False, help="save the branch (.yaml/.json)")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, help="both timelines (.png/.svg)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fork a council's record at a day, change facts or the policy, play it forward and compare with the record."""
    with reporting(as_json):
        end = _required_day(until, "--until")
        calibration = RealRecord.load(ofsted_csv, scenario or ()).calibration() if ofsted_csv else None
        world = None
        if not no_world and keep != "all" and branch_file is None:
            if calibration is None:
                raise BadArgument("the world model is calibrated on the record: give --ofsted-csv FILE (or --no-world)")
            world = WorldModel.calibrated(calibration, fixed_lags=fixed_lags)
        with _engine(db, SystemClock()) as engine:
            try:
                if branch_file is not None:
                    what_if = Branch.load(branch_file, engine, calibration)
                else:
                    fork = _day(at, "--at")
                    if council is None or fork is None:
                        raise BadArgument("give COUNCIL and --at DATE, or --branch FILE")
                    what_if = branch_of(
                        engine, council, at=fork, name=name, policy=policy, seed=seed, keep=keep, world=world
                    )
                    for text in add or ():
                        for fact in _read_facts(text):
                            what_if.add(fact)
                    for text in drop or ():
                        day, _, fact_type = text.partition(":")
                        what_if.drop(_day(day, "--drop") or dt.date.min, fact_type)
                played = what_if.run(end)
            except ValueError as error:
                raise BadArgument(str(error)) from None
            comparison = played.compare()
        if save is not None:
            what_if.save(save)
        if chart is not None:
            save_figure(timelines_chart(comparison), chart)
        data = {**played.to_dict(), "comparison": comparison.to_dict()}
        _emit(as_json, data, lambda: [escape(comparison.text())])


@app.command()
def simulate(
    ofsted_csv: Annotated[Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV")],
    scenarios: Annotated[list[Path] | None, typer.Argument(help="scenario files", dir_okay=False)] = None,
    from_date: Annotated[str, typer.Option("--from", help="start from the real state on this day")] = "",
    years: Annotated[int, typer.Option("--years", min=1, help="years to project")] = 10,
    runs: Annotated[int, typer.Option("--runs", min=1, help="Monte Carlo runs")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="master seed")] = 0,
    policy: PolicyOption = None,
    workers: WorkersOption = None,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, help="fan chart (.png/.svg)")] = None,
    db: Annotated[
        Path | None, typer.Option("--db", dir_okay=False, help="start from this store (default: replay the CSV)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Project all councils from the real state on a day: councils by stage by month, trusts, intervention."""
    with reporting(as_json):
        start = _required_day(from_date, "--from")
        record = RealRecord.load(ofsted_csv, scenarios or ())
        world = WorldModel.calibrated(record.calibration())
        with _progress(as_json, runs, "Simulating") as tick, executor_for(workers) as pool:
            engine = record.replay(start) if db is None else build_engine(Settings(db=db), clock=SystemClock())
            try:
                projection = simulate_national(
                    start, years, runs, seed, policy, pool, engine=engine, world=world, progress=_runs_done(tick)
                )
            except ValueError as error:
                raise BadArgument(str(error)) from None
            finally:
                engine.close()
        if chart is not None:
            save_figure(fan_chart(projection), chart)
        _emit(as_json, projection.to_dict(), lambda: [escape(projection.text())])


@app.command()
def backtest(
    ofsted_csv: Annotated[Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV")],
    scenarios: Annotated[list[Path] | None, typer.Argument(help="scenario files", dir_okay=False)] = None,
    from_date: Annotated[str, typer.Option("--from", help="simulate from the real state on this day")] = "2018-01-01",
    to_date: Annotated[str, typer.Option("--to", help="to the end of this day")] = "2024-12-31",
    runs: Annotated[int, typer.Option("--runs", min=1, help="Monte Carlo runs")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="master seed")] = 2018,
    workers: WorkersOption = None,
    as_json: JsonOption = False,
) -> None:
    """Councils judged inadequate each year: the real number beside the simulated 5%, 50% and 95% values."""
    with reporting(as_json):
        first, last = _required_day(from_date, "--from"), _required_day(to_date, "--to")
        record = RealRecord.load(ofsted_csv, scenarios or ())
        with _progress(as_json, runs, "Backtesting") as tick, executor_for(workers) as pool:
            result, _ = backtest_record(
                record, from_date=first, to_date=last, runs=runs, seed=seed, executor=pool, progress=_runs_done(tick)
            )
        _emit(as_json, result.to_dict(), lambda: [escape(result.text())])


@app.command()
def counterfactual(
    policy: Annotated[str, typer.Option("--policy", help="the DfE regime to apply to every date, e.g. dfe-2016-07")],
    since: Annotated[str, typer.Option("--since", help="expectations opened from this day")] = "2014-01-01",
    until: Annotated[str, typer.Option("--until", help="to the end of this day")] = "2015-12-31",
    kind: Annotated[str | None, typer.Option("--kind", help="only this kind, e.g. direction_with_commissioner")] = None,
    council: Annotated[list[str] | None, typer.Option("--council", help="council code or name (repeatable)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The stored record replayed under another policy: the expectations and deviations that would have followed."""
    with reporting(as_json):
        first, last = _required_day(since, "--since"), _required_day(until, "--until")
        with _engine(db, SystemClock()) as engine:
            try:
                found = counterfactual_replay(engine, policy, since=first, until=last, councils=council)
            except ValueError as error:
                raise BadArgument(str(error)) from None
        _emit(as_json, found.to_dict(), lambda: [escape(found.text(kind))])


def _required_day(text: str, option: str) -> dt.date:
    day = _day(text or None, option)
    if day is None:
        raise BadArgument(f"{option} DATE is required (YYYY-MM-DD)")
    return day


def _runs_done(tick: Callable[[str], None]) -> Callable[[int], None]:
    """Advance a per-council progress bar by the runs a finished batch completed."""

    def done(runs: int) -> None:
        for _ in range(runs):
            tick("runs")

    return done


def main() -> None:
    """Entry point of the `intervention-engine` console script."""
    app()


# ----------------------------------------------------------------------------------------------------------------
# Strings in, errors out.


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Turn a refused command into one line on stderr and an exit code."""
    try:
        yield
    except (InterventionError, BadArgument) as error:
        code = ExitCode.not_found if isinstance(error, CouncilNotFound) else ExitCode.refused
        message = " ".join([str(error), *(f"({note})" for note in getattr(error, "__notes__", []))])
        if as_json:
            line = json.dumps({"error": type(error).__name__, "message": message, "exit_code": int(code)})
            typer.echo(line, err=True)
        else:
            Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]Error: {escape(message)}[/red]")
        raise typer.Exit(code) from None


@contextmanager
def _engine(
    db: Path | None, clock: Clock, lenient: bool = False, *, existing: bool = False
) -> Iterator[InterventionEngine]:
    """The engine on `--db`; commands that only read refuse a database file that does not exist yet."""
    settings = Settings(db=db) if db is not None else Settings()
    if existing and settings.backend == "sqlite" and not settings.db.exists():
        raise ConfigurationError(f"no database at {settings.db}: record or replay something first, or check --db")
    engine = build_engine(settings.model_copy(update={"strict": not lenient}), clock=clock)
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def _progress(quiet: bool, total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (none with --json), advanced once per council."""
    if quiet:
        yield lambda _: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda code: bar.update(task, advance=1, description=f"{label} {code}")


def _read_facts(text: str) -> list[Fact]:
    if text.startswith("@"):
        facts = load_facts(Path(text[1:]))
        if not facts:
            raise BadArgument(f"{text[1:]} holds no facts")
        return facts
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadArgument(f"FACT is not valid JSON: {error.msg} (column {error.colno})") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise BadArgument("FACT must be a JSON object (or a list of objects) with a `type` field")
    where = "FACT" if len(items) == 1 else "FACT[{}]"
    return [parse_fact(item, where=where.format(index)) for index, item in enumerate(items)]


def _record_all(engine: InterventionEngine, council: str, facts: Sequence[Fact], lenient: bool) -> list[Recorded]:
    recorded: list[Recorded] = []
    for fact in facts:
        try:
            recorded.append(engine.record(council, fact, strict=False if lenient else None))
        except InterventionError as error:
            if recorded:
                error.add_note(f"the {len(recorded)} fact(s) before this one were recorded")
            raise
    return recorded


def _day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadArgument(f"{option} {text!r} is not a date (YYYY-MM-DD): {error}") from None


def _emit(as_json: bool, data: Any, tables: Any) -> None:
    """JSON on stdout with `--json`; otherwise the rich renderables that `tables()` returns."""
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    console = Console(highlight=False)
    for renderable in tables():
        console.print(renderable)


# ----------------------------------------------------------------------------------------------------------------
# Human output (the demo uses these too).


def recorded_table(recorded: Sequence[Recorded]) -> list[Any]:
    table = _table("council", "on", "fact", "stage", "events", title="Recorded")
    for item in recorded:
        table.add_row(item.council, item.occurred_on.isoformat(), item.fact_type, item.stage, str(item.events))
    deviations = [
        f"[yellow]deviation: {escape(str(r.deviation['expected']))}[/yellow]" for r in recorded if r.deviation
    ]
    return [table, *deviations]


def status_tables(status: CouncilStatus) -> list[Any]:
    when = f"on {status.as_of}" if status.as_of else "now"
    heading = f"[bold]{escape(status.name)} ({status.council}) {when}: stage [cyan]{status.stage}[/cyan][/bold]"
    states = _table("region", "state", title="States")
    for region, state in status.states.items():
        states.add_row(region, state)
    out: list[Any] = [heading, states]
    if status.latest_inspection:
        inspection = status.latest_inspection
        grades = ", ".join(f"{k} {v}" for k, v in inspection["judgements"].items())
        out.append(f"Latest inspection: published {inspection['published_on']} ({inspection['framework']}): {grades}")
    if status.details:
        out.append("Details: " + ", ".join(f"{k} {v}" for k, v in status.details.items()))
    timers = _table("timer", "kind", "due on", "rule", title="Pending timers")
    for timer in status.pending_timers:
        timers.add_row(timer["timer_id"], timer["kind"], timer["due_on"], timer["rule_id"])
    out.append(timers if status.pending_timers else "Pending timers: none")
    expectations = _table("expected", "by", "rule", "policy", title="Open expectations")
    for wanted in status.open_expectations:
        expectations.add_row(
            escape(wanted["expected"]), wanted["due_on"] or "", wanted["rule_id"], wanted["policy_version"]
        )
    if status.open_expectations:
        out.append(expectations)
    for deviation in status.deviations:
        out.append(f"[yellow]Deviation on {deviation['occurred_on']}: {escape(str(deviation['expected']))}[/yellow]")
    return out


def timeline_table(entries: Sequence[TimelineEntry]) -> Table:
    table = _table("on", "event", "stage", title="Timeline")
    for entry in entries:
        style = "dim" if entry.event.startswith("Timer") else None
        table.add_row(entry.occurred_on, escape(entry.summary), entry.stage or "", style=style)
    return table


def due_table(timers: Sequence[DueTimer]) -> Table:
    table = _table("due on", "council", "kind", "rule", "policy", title="Pending timers")
    for timer in timers:
        council = f"{timer.council_name} ({timer.council})"
        table.add_row(timer.due_on.isoformat(), council, timer.kind, timer.rule_id, timer.policy_version)
    return table


def deviations_table(found: Sequence[dict[str, Any]]) -> Table:
    table = _table("on", "council", "rule", "policy", "expected", "happened", title=f"Deviations: {len(found)}")
    for item in found:
        council = f"{item['name']} ({item['council']})"
        row = (
            item["occurred_on"],
            council,
            item["rule_id"],
            item["policy_version"],
            item["expected"],
            item["happened"],
        )
        table.add_row(*(escape(str(cell)) for cell in row))
    return table


def checkpoint_table(results: Sequence[CheckpointResult], title: str = "Checkpoints") -> Table:
    table = _table("on", "line", "result", title=title)
    for result in results:
        verdict = "[green]holds[/green]" if result.holds else "[red]" + escape("; ".join(result.problems)) + "[/red]"
        table.add_row(result.on.isoformat(), str(result.line or ""), verdict)
    return table


def _table(*columns: str, title: str) -> Table:
    """A table that folds long cells instead of cutting them short (piped output is 80 columns wide)."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


Checks = tuple[str, str, list[CheckpointResult]]


def replay_tables(summary: dict[str, Any], checks: Sequence[Checks], show_timelines: bool) -> list[Any]:
    out: list[Any] = []
    table = _table(
        "council", "stage", "states", "facts", "deviations", title=f"Councils replayed: {summary['replayed']}"
    )
    for council in summary["councils"]:
        states = ", ".join(f"{k}={v}" for k, v in council["states"].items() if v not in ("none", "council"))
        name = f"{council['name']} ({council['council']})"
        table.add_row(escape(name), council["stage"], states, str(council["facts"]), str(len(council["deviations"])))
        if show_timelines:
            out.append(f"[bold]{escape(name)}[/bold]")
            out += [f"  {line}" for line in council["timeline"]]
    out.append(table)
    for key, label in (
        ("already_in_store", "Already in the store, not replayed"),
        ("skipped_rows", "CSV rows left aside"),
    ):
        if summary[key]:
            out.append(f"{label}: {len(summary[key])}")
    out.append(national_table([summary["national"]]))
    for origin, _council, results in checks:
        held = sum(result.holds for result in results)
        out.append(checkpoint_table(results, title=f"Checkpoints: {held} of {len(results)} hold ({escape(origin)})"))
    return out


def calibration_tables(result: Calibration, out: Path | None) -> list[Any]:
    grades = ["outstanding", "good", "requires_improvement", "inadequate", "ungraded"]
    tables: list[Any] = []
    for era, rows in result.transitions.items():
        table = _table("previous", *grades, "n", title=f"Next overall grade after each grade ({era})")
        for previous, counts in rows.items():
            total = sum(counts.values())
            table.add_row(previous, *(f"{counts.get(g, 0) / total:.0%}" for g in grades), str(total))
        tables.append(table)
    spreads = _table("measure", "n", "median", "p10", "p90", "range", title="Intervals and lags (days)")
    named = [
        *((f"report → next fieldwork, after {grade}", spread) for grade, spread in result.intervals.items()),
        *((f"fieldwork end → publication ({era})", spread) for era, spread in result.publication_lag.items()),
        *((f"DfE: {step.replace('_', ' ')}", spread) for step, spread in result.dfe_lags.items()),
    ]
    for label, spread in named:
        spreads.add_row(label, str(spread.n), f"{spread.median:g}", f"{spread.p10:g}", f"{spread.p90:g}",
                        f"{spread.low}-{spread.high}")  # fmt: skip
    tables.append(spreads)
    if out is not None:
        tables.append(f"Written to {out}")
    return tables


def national_table(counts: Sequence[Any]) -> Table:
    """Councils by stage: one row per stage, one column per date (31 March shows as its year)."""
    data = [count if isinstance(count, dict) else count.to_dict() for count in counts]
    stages = sorted({stage for count in data for stage in count["stages"]})
    heads = [count["on"][:4] if count["on"].endswith("-03-31") else count["on"] for count in data]
    title = (
        "Councils by stage (columns: 31 March of each year)" if all(len(h) == 4 for h in heads) else "Councils by stage"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("stage", overflow="fold")
    for head in heads:
        table.add_column(head, justify="right")
    for stage in stages:
        table.add_row(stage, *(str(count["stages"].get(stage, 0)) for count in data))
    table.add_row("[bold]councils[/bold]", *(str(count["councils"]) for count in data))
    return table


def _checkpoint_data(checks: Sequence[Checks]) -> list[dict[str, Any]]:
    return [
        {"file": origin, "council": council, "checkpoints": [result.to_dict() for result in results]}
        for origin, council, results in checks
    ]


if __name__ == "__main__":
    main()
