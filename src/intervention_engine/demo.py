"""The demo (`make demo`): replay the real record into a fresh SQLite file and show what the engine knows.

    python -m intervention_engine.demo --db demo.sqlite --scenario scenarios/kirklees.yaml

It deletes the previous demo database (only if it is a SQLite file), replays one scenario on a virtual clock,
moves the clock to the scenario's last date so every timer due by then falls due, and prints the timeline, the
council's states and stage, and whether the scenario's checkpoints hold. Then it replays the other scenarios and,
when `../shared/data` is present, the national Ofsted record for all 153 councils up to today, prints the
national counts and deviations, and writes the HTML report, saying where it is.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .bootstrap import build_engine
from .cli import (
    ExitCode,
    checkpoint_table,
    national_table,
    recorded_table,
    reporting,
    status_tables,
    timeline_table,
)
from .clock import SystemClock, VirtualClock
from .errors import ConfigurationError
from .facts import DatePrecision
from .history.national import replay_record
from .history.neighbours import read_council_table
from .history.ofsted_csv import read_ofsted_csv
from .history.register import read_register
from .history.scenario import Scenario, checkpoint_results, load_scenario, replay_scenario
from .history.timelines import read_timeline
from .reports import collect as collect_report
from .reports import write_report
from .settings import Settings

_SQLITE_HEADER = b"SQLite format 3\x00"


def main(
    db: Annotated[Path, typer.Option("--db", dir_okay=False, help="SQLite file, replaced on every run")] = Path(
        "demo.sqlite"
    ),
    scenario: Annotated[Path, typer.Option("--scenario", help="scenario file to replay")] = Path(
        "scenarios/kirklees.yaml"
    ),
    ofsted_csv: Annotated[Path, typer.Option("--ofsted-csv", help="national inspections CSV, if present")] = Path(
        "../shared/data/ofsted_inspections.csv"
    ),
    report: Annotated[Path, typer.Option("--report", file_okay=False, help="folder for the HTML report")] = Path(
        "report"
    ),
) -> None:
    """Replay the real record into a fresh SQLite database and report on it."""
    console = Console(highlight=False)
    with reporting(as_json=False):
        holds = run(db, load_scenario(scenario), console)
        others = [load_scenario(path) for path in sorted(scenario.parent.glob("*.yaml")) if path != scenario]
        national(db, others, ofsted_csv, report, console)
    if not holds:
        raise typer.Exit(ExitCode.checkpoints_failed)


def national(db: Path, scenarios: list[Scenario], ofsted_csv: Path, out: Path, console: Console) -> None:
    """Replay the other scenarios and the national record (if `ofsted_csv` is there), print the national picture,
    write the HTML report."""
    console.rule("[bold]The national record[/bold]")
    ofsted = read_ofsted_csv(ofsted_csv) if ofsted_csv.exists() else None
    register_path = ofsted_csv.with_name("dfe_interventions.csv")
    register = read_register(register_path) if ofsted is not None and register_path.exists() else None
    timelines = [read_timeline(path) for path in sorted(ofsted_csv.with_name("timelines").glob("*.yaml"))]
    if ofsted is None:
        console.print(
            f"No national CSV at {ofsted_csv} (the shared data is not beside the project; "
            "`make demo SHARED=/path/to/shared` names it): scenarios only."
        )
    today = SystemClock().today()
    engine = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(dt.date(2000, 1, 1)))
    try:
        report = replay_record(
            engine, scenarios=scenarios, timelines=timelines, register=register, ofsted=ofsted, until=today
        )
        console.print(
            f"Replayed {len(report.councils)} more councils ({report.facts} facts; {len(report.from_scenarios)} with "
            f"scenario files, {len(timelines)} research timelines, the DfE register: "
            f"{register.fact_count if register else 0} facts) up to {today}; "
            f"{len(report.skipped_rows)} CSV rows were not graded inspections. One fact from two sources was "
            f"recorded once {len(report.same_fact)} times; {len(report.conflicts)} conflicts between sources; "
            f"{len(report.inferred)} steps inferred from what the record implies."
        )
        years = range(2015, today.year + 1, 2)
        console.print(national_table(engine.national([dt.date(year, 3, 31) for year in years])))
        console.print(deviation_summary(engine.deviations()))
        console.print(
            "'unverified' deviations are expectations whose deadline passed with nothing on record where no source "
            "covers the council's DfE record (the register lists only what it found); 'missed' and 'contradicted' "
            "ones are departures from the policy in periods a source covers. "
            "`intervention-engine deviations COUNCIL --db ...` lists them one by one."
        )
        councils_csv = ofsted_csv.with_name("councils.csv")
        data = collect_report(engine, (), read_council_table(councils_csv) if councils_csv.exists() else None)
    finally:
        engine.close()
    written = write_report(data, out)
    console.print(f"HTML report: [bold]{written.index.resolve()}[/bold] ({len(written.councils)} council timelines)")


def run(db: Path, scenario: Scenario, console: Console) -> bool:
    """The demo itself; True when every checkpoint of the scenario holds."""
    console.rule("[bold]intervention_engine demo[/bold]")
    _start_fresh(db, console)
    engine = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(scenario.registration().occurred_on))
    try:
        council = scenario.council
        console.print(
            f"Replaying [bold]{escape(scenario.origin)}[/bold]: {escape(council.name)} ({council.code}), "
            f"{len(scenario.events)} events, strict mode, on a virtual clock."
        )
        for event in scenario.events:
            fact = event.fact
            if fact.date_precision is not DatePrecision.day:
                console.print(
                    f"  {fact.describe()}: date known to the {fact.date_precision.value} only, "
                    f"placed on {fact.occurred_on} (the earliest day it can mean)"
                )
        recorded = replay_scenario(engine, scenario)
        for renderable in recorded_table(recorded):
            console.print(renderable)
        timeline = engine.timeline(council.code)
        fired = sum(entry.event == "TimerFired" for entry in timeline)
        console.print(f"Clock moved to {engine.clock.today()} (the scenario's last date): {fired} timers fell due.")
        console.print(timeline_table(timeline))
        for renderable in status_tables(engine.state(council.code)):
            console.print(renderable)
        results = checkpoint_results(engine, scenario)
        held = sum(result.holds for result in results)
        console.print(checkpoint_table(results, title=f"Checkpoints: {held} of {len(results)} hold"))
    finally:
        engine.close()
    console.print(f"Database: [bold]{db.resolve()}[/bold]")
    console.print(f"Try: intervention-engine status {council.code} --as-of 2017-10-01 --db {db}")
    return held == len(results)


def deviation_summary(found: list[dict[str, Any]]) -> Table:
    """Deviations counted by rule, policy version and how they arose."""
    counts = Counter((d["rule_id"], d["policy_version"], d["how"]) for d in found)
    table = Table(title=f"Deviations from the policy in force: {len(found)}", title_justify="left")
    for column in ("rule", "policy", "how", "deviations"):
        table.add_column(column)
    for (rule, policy, how), count in sorted(counts.items()):
        table.add_row(rule, policy, how, str(count))
    return table


def _start_fresh(db: Path, console: Console) -> None:
    """Delete the previous demo database, refusing to touch a file that is not SQLite."""
    if not db.exists():
        console.print(f"Creating a new database at {db}.")
        return
    if db.is_dir() or db.read_bytes()[: len(_SQLITE_HEADER)] not in (_SQLITE_HEADER, b""):
        raise ConfigurationError(f"{db} exists and is not a SQLite database; the demo will not delete it")
    for path in (db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm", "-journal"))):
        path.unlink(missing_ok=True)
    console.print(f"Deleted the previous demo database {db}; starting from an empty one.")


if __name__ == "__main__":
    typer.run(main)
