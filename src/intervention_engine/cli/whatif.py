"""Commands on futures that did not happen: what-if branches, Monte Carlo, backtest, counterfactual replay."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from ..clock import SystemClock
from .app import (
    BadArgument,
    DbOption,
    JsonOption,
    app,
    choice,
    emit,
    files_in,
    open_engine,
    parse_day,
    progress_bar,
    read_facts,
    reporting,
    required_day,
    runs_done,
)

if TYPE_CHECKING:  # the simulation (numpy, matplotlib) is imported by the commands that use it: a quick --help
    from ..simulation import RealRecord

OfstedCsvOption = Annotated[
    Path | None, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV (calibrates the world)")
]
PolicyOption = Annotated[
    str | None, typer.Option("--policy", help="one DfE regime for every date, e.g. dfe-2016-07 (default: in force)")
]
RegisterOption = Annotated[
    Path | None, typer.Option("--dfe-register", dir_okay=False, help="the DfE register (dfe_interventions.csv)")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=0, help="worker processes (default one per CPU; 0: this process)")
]
# The national record and the start of a projection, as simulate, backtest and sweep take them.
NationalCsvOption = Annotated[Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV")]
RecordFilesArgument = Annotated[
    list[Path] | None, typer.Argument(help="scenario files or research timelines, or folders of them")
]
FromOption = Annotated[str, typer.Option("--from", help="start from the real state on this day")]
YearsOption = Annotated[int, typer.Option("--years", help="years to project")]


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
    scenario: Annotated[
        list[Path] | None, typer.Option("--scenario", help="scenario file (or folder of them) for DfE lags")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="the branch's name")] = "what-if",
    branch_file: Annotated[
        Path | None,
        typer.Option("--branch", dir_okay=False, help="a saved branch (calibrated on the files it names, by default)"),
    ] = None,
    save: Annotated[Path | None, typer.Option("--save", dir_okay=False, help="save the branch (.yaml/.json)")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, help="both timelines (.png/.svg)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fork a council's record at a day, change facts or the policy, play it forward and compare with the record."""
    from ..simulation import Branch, RealRecord, WorldModel
    from ..simulation import branch as branch_of
    from ..simulation.branch import KEEPS
    from ..simulation.charts import save_figure, timelines_chart

    with reporting(as_json):
        end = required_day(until, "--until")
        choice(keep, KEEPS, "--keep")
        if scenario and ofsted_csv is None:
            raise BadArgument("--scenario calibrates with the Ofsted CSV: give --ofsted-csv FILE too")
        record = RealRecord.load(ofsted_csv, files_in(scenario)) if ofsted_csv else None
        saved = Branch.read(branch_file) if branch_file is not None else None  # read once, here
        if record is None and saved is not None:
            record = saved_record(saved)  # the inputs the branch was calibrated on, checked against its digests
        calibration = record.calibration() if record is not None else None
        world = None
        if not no_world and keep != "all" and branch_file is None:
            if calibration is None:
                raise BadArgument("the world model is calibrated on the record: give --ofsted-csv FILE (or --no-world)")
            world = WorldModel.calibrated(calibration, fixed_lags=fixed_lags)
        with open_engine(db, SystemClock(), existing=True) as engine:
            try:
                if branch_file is not None:
                    what_if = Branch.load(
                        branch_file, engine, calibration, record.sources if record else (), contents=saved
                    )
                else:
                    fork = parse_day(at, "--at")
                    if council is None or fork is None:
                        raise BadArgument("give COUNCIL and --at DATE, or --branch FILE")
                    what_if = branch_of(
                        engine, council, at=fork, name=name, policy=policy, seed=seed, keep=keep, world=world
                    )
                    what_if.sources = record.sources if record is not None else []
                    for text in add or ():
                        for fact in read_facts(text):
                            what_if.add(fact)
                    for text in drop or ():
                        day, _, fact_type = text.partition(":")
                        what_if.drop(parse_day(day, "--drop") or dt.date.min, fact_type)
                played = what_if.run(end)
            except ValueError as error:
                raise BadArgument(str(error)) from None
            comparison = played.compare()
            if save is not None:
                what_if.save(save)  # its provenance reads the council's record in the store
        if chart is not None:
            save_figure(timelines_chart(comparison), chart)
        data = {**played.to_dict(), "comparison": comparison.to_dict()}
        emit(as_json, data, lambda: [escape(comparison.text())])


def saved_record(saved: Mapping[str, Any]) -> RealRecord | None:
    """The record a saved branch (its file's contents, `Branch.read`) was calibrated on, read from the files it
    names (None without a world model)."""
    from ..simulation import RealRecord

    inputs = (saved.get("saved") or {}).get("inputs") or []
    files = {role: [Path(item["path"]) for item in inputs if item["role"] == role] for role in ("ofsted_csv",
             "councils_csv", "scenario", "dfe_register", "timeline")}  # fmt: skip
    if not files["ofsted_csv"]:
        return None
    return RealRecord.load(files["ofsted_csv"][0], files["scenario"], next(iter(files["councils_csv"]), None),
                           register=next(iter(files["dfe_register"]), None), timelines=files["timeline"])  # fmt: skip


@app.command()
def simulate(
    ofsted_csv: NationalCsvOption,
    scenarios: RecordFilesArgument = None,
    dfe_register: RegisterOption = None,
    from_date: FromOption = "",
    years: YearsOption = 10,
    runs: Annotated[int, typer.Option("--runs", help="Monte Carlo runs")] = 1000,
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
    from ..simulation import WorldModel
    from ..simulation import simulate as simulate_national
    from ..simulation.charts import fan_chart, save_figure
    from ..simulation.montecarlo import executor_for

    with reporting(as_json):
        start = required_day(from_date, "--from")
        _counts(runs=runs, years=years)
        if policy is not None:
            _known_policy(policy)
        record = national_record(ofsted_csv, scenarios, dfe_register)
        world = WorldModel.calibrated(record.calibration())
        with ExitStack() as stack:
            # A stored record is only read: a missing --db file is refused, never created.
            if db is None:
                engine = record.replay(start)
                stack.callback(engine.close)
            else:
                engine = stack.enter_context(open_engine(db, SystemClock(), existing=True))
            tick = stack.enter_context(progress_bar(as_json, runs, "Simulating"))
            pool = stack.enter_context(executor_for(workers))
            try:
                projection = simulate_national(
                    start, years, runs, seed, policy, pool, engine=engine, world=world, progress=runs_done(tick)
                )
            except ValueError as error:
                raise BadArgument(str(error)) from None
        if chart is not None:
            save_figure(fan_chart(projection), chart)
        emit(as_json, projection.to_dict(), lambda: [escape(projection.text())])


@app.command()
def backtest(
    ofsted_csv: NationalCsvOption,
    scenarios: RecordFilesArgument = None,
    dfe_register: RegisterOption = None,
    origins: Annotated[
        list[str] | None, typer.Option("--from", help="an origin: the real state on this day (repeatable)")
    ] = None,
    to_date: Annotated[str, typer.Option("--to", help="to the end of this day")] = "2024-12-31",
    runs: Annotated[int, typer.Option("--runs", help="Monte Carlo runs per origin")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="master seed")] = 2018,
    workers: WorkersOption = None,
    chart: Annotated[Path | None, typer.Option("--chart", dir_okay=False, help="backtest chart (.png/.svg)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Councils judged inadequate, under a notice, under a direction and in alternative delivery on 31 March: the
    record beside the simulated bands from each origin, with CRPS and skill against persistence and climatology."""
    from ..simulation import backtest as backtest_record
    from ..simulation.backtest import ORIGINS
    from ..simulation.charts import backtest_chart, save_figure
    from ..simulation.montecarlo import executor_for

    with reporting(as_json):
        last = required_day(to_date, "--to")
        days = [required_day(day, "--from") for day in origins] if origins else list(ORIGINS)
        _counts(runs=runs)
        record = national_record(ofsted_csv, scenarios, dfe_register)
        with progress_bar(as_json, runs * len(days), "Backtesting") as tick, executor_for(workers) as pool:
            try:
                result, _ = backtest_record(
                    record, origins=days, to_date=last, runs=runs, seed=seed, executor=pool, progress=runs_done(tick)
                )
            except ValueError as error:
                raise BadArgument(str(error)) from None
        if chart is not None:
            save_figure(backtest_chart(result), chart)
        emit(as_json, result.to_dict(), lambda: [escape(result.text())])


def _counts(**counts: int) -> None:
    """A run or year count below one is refused before anything is read or written."""
    for name, value in counts.items():
        if value < 1:
            raise BadArgument(f"--{name} must be at least 1, not {value}")


def _known_policy(policy: str) -> None:
    from ..policies.registry import registry_with

    try:
        registry_with(policy)
    except ValueError as error:
        raise BadArgument(str(error)) from None


def national_record(ofsted_csv: Path, files: list[Path] | None, register: Path | None) -> RealRecord:
    """The national record: the CSV, the DfE register, scenario files and research timelines (a folder: its files)."""
    from ..history.timelines import is_research_timeline
    from ..simulation import RealRecord

    named = files_in(files)
    notes = [path for path in named if is_research_timeline(path)]
    scenarios = [path for path in named if path not in notes]
    return RealRecord.load(ofsted_csv, scenarios, register=register, timelines=notes)


@app.command()
def counterfactual(
    policy: Annotated[str, typer.Option("--policy", help="the DfE regime to apply to every date, e.g. dfe-2016-07")],
    since: Annotated[str, typer.Option("--since", help="expectations opened from this day")] = "2014-01-01",
    until: Annotated[str, typer.Option("--until", help="to the end of this day")] = "2015-12-31",
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="only expectations of this kind, e.g. direction_with_commissioner or notice_lifted"
        ),
    ] = None,
    council: Annotated[list[str] | None, typer.Option("--council", help="council code or name (repeatable)")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The stored record replayed under another policy: the expectations and deviations that would have followed."""
    from ..policies.dfe_expectations import EXPECTATION_KINDS
    from ..simulation import counterfactual as counterfactual_replay

    with reporting(as_json):
        first, last = required_day(since, "--since"), required_day(until, "--until")
        choice(kind, EXPECTATION_KINDS, "--kind")
        with open_engine(db, SystemClock(), existing=True) as engine:
            try:
                found = counterfactual_replay(engine, policy, since=first, until=last, councils=council)
            except ValueError as error:
                raise BadArgument(str(error)) from None
        emit(as_json, found.to_dict(), lambda: [escape(found.text(kind))])
