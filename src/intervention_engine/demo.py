"""The demo (`make demo`): replay a real council's history into a fresh SQLite file and show what the engine knows.

    python -m intervention_engine.demo --db demo.sqlite --scenario scenarios/kirklees.yaml

It deletes the previous demo database (only if it is a SQLite file), replays the scenario on a virtual clock,
moves the clock to the scenario's last date so every timer due by then falls due, and prints the timeline, the
council's states and stage, and whether the scenario's checkpoints hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from .bootstrap import build_engine
from .cli import ExitCode, checkpoint_table, recorded_table, reporting, status_tables, timeline_table
from .clock import VirtualClock
from .errors import ConfigurationError
from .facts import DatePrecision
from .history.scenario import Scenario, checkpoint_results, load_scenario, replay_scenario
from .settings import Settings

_SQLITE_HEADER = b"SQLite format 3\x00"


def main(
    db: Annotated[Path, typer.Option("--db", dir_okay=False, help="SQLite file, replaced on every run")] = Path(
        "demo.sqlite"
    ),
    scenario: Annotated[Path, typer.Option("--scenario", help="scenario file to replay")] = Path(
        "scenarios/kirklees.yaml"
    ),
) -> None:
    """Replay one scenario into a fresh SQLite database and report on it."""
    console = Console(highlight=False)
    with reporting(as_json=False):
        holds = run(db, load_scenario(scenario), console)
    if not holds:
        raise typer.Exit(ExitCode.checkpoints_failed)


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
