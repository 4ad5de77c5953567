"""Commands on futures that did not happen: what-if branches, Monte Carlo, backtest, counterfactual replay."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

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
    scenario: Annotated[
        list[Path] | None, typer.Option("--scenario", help="scenario file (or folder of them) for DfE lags")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="the branch's name")] = "what-if",
    branch_file: Annotated[Path | None, typer.Option("--branch", dir_okay=False, help="a saved branch")] = None,
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
        calibration = RealRecord.load(ofsted_csv, files_in(scenario)).calibration() if ofsted_csv else None
        world = None
        if not no_world and keep != "all" and branch_file is None:
            if calibration is None:
                raise BadArgument("the world model is calibrated on the record: give --ofsted-csv FILE (or --no-world)")
            world = WorldModel.calibrated(calibration, fixed_lags=fixed_lags)
        with open_engine(db, SystemClock(), existing=True) as engine:
            try:
                if branch_file is not None:
                    what_if = Branch.load(branch_file, engine, calibration)
                else:
                    fork = parse_day(at, "--at")
                    if council is None or fork is None:
                        raise BadArgument("give COUNCIL and --at DATE, or --branch FILE")
                    what_if = branch_of(
                        engine, council, at=fork, name=name, policy=policy, seed=seed, keep=keep, world=world
                    )
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
            what_if.save(save)
        if chart is not None:
            save_figure(timelines_chart(comparison), chart)
        data = {**played.to_dict(), "comparison": comparison.to_dict()}
        emit(as_json, data, lambda: [escape(comparison.text())])


@app.command()
def simulate(
    ofsted_csv: Annotated[Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV")],
    scenarios: Annotated[list[Path] | None, typer.Argument(help="scenario files, or folders of them")] = None,
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
    from ..simulation import RealRecord, WorldModel
    from ..simulation import simulate as simulate_national
    from ..simulation.charts import fan_chart, save_figure
    from ..simulation.montecarlo import executor_for

    with reporting(as_json):
        start = required_day(from_date, "--from")
        record = RealRecord.load(ofsted_csv, files_in(scenarios))
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
    ofsted_csv: Annotated[Path, typer.Option("--ofsted-csv", dir_okay=False, help="the national Ofsted CSV")],
    scenarios: Annotated[list[Path] | None, typer.Argument(help="scenario files, or folders of them")] = None,
    from_date: Annotated[str, typer.Option("--from", help="simulate from the real state on this day")] = "2018-01-01",
    to_date: Annotated[str, typer.Option("--to", help="to the end of this day")] = "2024-12-31",
    runs: Annotated[int, typer.Option("--runs", min=1, help="Monte Carlo runs")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="master seed")] = 2018,
    workers: WorkersOption = None,
    as_json: JsonOption = False,
) -> None:
    """Councils judged inadequate each year: the real number beside the simulated 5%, 50% and 95% values."""
    from ..simulation import RealRecord
    from ..simulation import backtest as backtest_record
    from ..simulation.montecarlo import executor_for

    with reporting(as_json):
        first, last = required_day(from_date, "--from"), required_day(to_date, "--to")
        record = RealRecord.load(ofsted_csv, files_in(scenarios))
        with progress_bar(as_json, runs, "Backtesting") as tick, executor_for(workers) as pool:
            result, _ = backtest_record(
                record, from_date=first, to_date=last, runs=runs, seed=seed, executor=pool, progress=runs_done(tick)
            )
        emit(as_json, result.to_dict(), lambda: [escape(result.text())])


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
    from ..policies.dfe_intervention import EXPECTATION_KINDS
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
