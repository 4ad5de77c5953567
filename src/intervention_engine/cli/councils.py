"""Commands on councils' records: record facts, and read status, timeline, due timers, deviations, the rulebook."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..clock import SystemClock
from .app import DbOption, JsonOption, app, emit, open_engine, parse_day, read_facts_with_ids, record_all, reporting
from .bitemporal import KnownOnOption, VersionOption, parse_instant
from .tables import deviations_table, due_table, recorded_table, status_tables, timeline_table

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
    """Record one fact (or every fact of a file, in order) for a council. Recording a file again records nothing
    twice: each of its facts carries a request id derived from the file and the fact."""
    with reporting(as_json):
        facts = read_facts_with_ids(fact)
        with open_engine(db, SystemClock()) as engine:
            recorded = record_all(engine, council, facts, lenient)
        emit(as_json, {"recorded": [item.to_dict() for item in recorded]}, lambda: recorded_table(recorded))


@app.command()
def status(
    council: Annotated[str, typer.Argument(help="council code or name")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="a date in the world, YYYY-MM-DD")] = None,
    known_on: KnownOnOption = None,
    version: VersionOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where a council stands on the intervention path, now or on a date; as the record stood then (--known-on)."""
    with reporting(as_json):
        day, known = parse_day(as_of, "--as-of"), parse_instant(known_on, "--known-on")
        with open_engine(db, SystemClock(), existing=True) as engine:
            found = engine.state(council, as_of=day, known_on=known, as_of_version=version)
        emit(as_json, found.to_dict(), lambda: status_tables(found))


@app.command()
def timeline(
    council: Annotated[str, typer.Argument(help="council code or name")],
    known_on: KnownOnOption = None,
    version: VersionOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every stored event of a council, in order (only those recorded by --known-on, or up to --stream-version)."""
    with reporting(as_json), open_engine(db, SystemClock(), existing=True) as engine:
        known = parse_instant(known_on, "--known-on")
        entries = engine.timeline(council, known_on=known, as_of_version=version)
        emit(as_json, [entry.to_dict() for entry in entries], lambda: [timeline_table(entries)])


@app.command()
def due(
    until: Annotated[str | None, typer.Option("--until", help="only timers due by this date, YYYY-MM-DD")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pending timers across all councils, by due date."""
    with reporting(as_json):
        day = parse_day(until, "--until")
        with open_engine(db, SystemClock(), existing=True) as engine:
            timers = engine.due(day)
        emit(as_json, [timer.to_dict() for timer in timers], lambda: [due_table(timers)])


@app.command()
def deviations(
    council: Annotated[str | None, typer.Argument(help="council code or name (all councils when omitted)")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="only deviations that occurred by this date, YYYY-MM-DD")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Where the record departs from the policy in force: rule, policy version, expected, happened, when."""
    with reporting(as_json):
        day = parse_day(as_of, "--as-of")
        with open_engine(db, SystemClock(), existing=True) as engine:
            found = engine.deviations(council, as_of=day)
        emit(as_json, found, lambda: [deviations_table(found)])


@app.command()
def diagram(as_json: JsonOption = False) -> None:
    """The lifecycle rulebook as a Mermaid state diagram."""
    from ..policies.rulebook import Rulebook

    text = Rulebook().mermaid()
    typer.echo(json.dumps({"mermaid": text}) if as_json else text, nl=as_json)


@app.command()
def schema(as_json: JsonOption = False) -> None:
    """The JSON Schema of scenario files."""
    from ..history.scenario import scenario_json_schema

    typer.echo(json.dumps(scenario_json_schema(), indent=None if as_json else 2))


# What-if and Monte Carlo (simulation/): branches, national projections, backtest, counterfactual replay.
