"""The Typer app and what every command shares: options, exit codes, errors to one line, the engine, output."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..bootstrap import build_engine
from ..clock import Clock
from ..dates import check_day
from ..engine import InterventionEngine, Recorded
from ..errors import ConfigurationError, CouncilNotFound, InterventionError, StoreUnavailable
from ..facts import Fact, parse_fact
from ..history.scenario import (
    load_facts,
)
from ..persistence.store import STORE_ERRORS, store_unavailable
from ..settings import Settings


class ExitCode(IntEnum):
    ok = 0
    checkpoints_failed = 1
    refused = 2
    not_found = 3
    store_unavailable = 4


class BadArgument(ValueError):
    """A command-line argument that cannot be read (a date, a JSON string)."""


app = typer.Typer(
    name="intervention-engine",
    help="Record, replay and query the DfE intervention regime for councils' children's services.",
    epilog="Exit codes: 0 done; 1 replay checkpoints do not hold; 2 input refused; 3 council not registered; "
    "4 the store cannot be used.",
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


def required_day(text: str, option: str) -> dt.date:
    day = parse_day(text or None, option)
    if day is None:
        raise BadArgument(f"{option} DATE is required (YYYY-MM-DD)")
    return day


def runs_done(tick: Callable[[str], None]) -> Callable[[int], None]:
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
        try:
            yield
        except STORE_ERRORS as error:
            raise store_unavailable(error) from None
    except (InterventionError, BadArgument) as error:
        code = ExitCode.not_found if isinstance(error, CouncilNotFound) else ExitCode.refused
        if isinstance(error, StoreUnavailable):
            code = ExitCode.store_unavailable
        message = " ".join([str(error), *(f"({note})" for note in getattr(error, "__notes__", []))])
        if as_json:
            line = json.dumps({"error": type(error).__name__, "message": message, "exit_code": int(code)})
            typer.echo(line, err=True)
        else:
            Console(stderr=True, soft_wrap=True, highlight=False).print(f"[red]Error: {escape(message)}[/red]")
        raise typer.Exit(code) from None


@contextmanager
def open_engine(
    db: Path | None, clock: Clock, lenient: bool = False, *, existing: bool = False
) -> Iterator[InterventionEngine]:
    """The engine on `--db`; commands that only read (`existing`) refuse a database file that does not exist yet,
    and write nothing to one that does."""
    settings = Settings(db=db) if db is not None else Settings()
    if existing and settings.backend == "sqlite" and not settings.db.exists():
        raise ConfigurationError(f"no database at {settings.db}: record or replay something first, or check --db")
    engine = build_engine(settings.model_copy(update={"strict": not lenient}), clock=clock, read_only=existing)
    try:
        yield engine
    finally:
        engine.close()


@contextmanager
def progress_bar(quiet: bool, total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (none with --json), advanced once per council."""
    if quiet:
        yield lambda _: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda code: bar.update(task, advance=1, description=f"{label} {code}")


def read_facts(text: str) -> list[Fact]:
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


def record_all(engine: InterventionEngine, council: str, facts: Sequence[Fact], lenient: bool) -> list[Recorded]:
    recorded: list[Recorded] = []
    for fact in facts:
        try:
            recorded.append(engine.record(council, fact, strict=False if lenient else None))
        except InterventionError as error:
            if recorded:
                error.add_note(f"the {len(recorded)} fact(s) before this one were recorded")
            raise
    return recorded


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadArgument(f"{option} {text!r} is not a date (YYYY-MM-DD): {error}") from None
    try:
        return check_day(day, option)
    except ValueError as error:
        raise BadArgument(str(error)) from None


def emit(as_json: bool, data: Any, tables: Any) -> None:
    """JSON on stdout with `--json`; otherwise the rich renderables that `tables()` returns."""
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    console = Console(highlight=False)
    for renderable in tables():
        console.print(renderable)
