"""The Typer app and what every command shares: options, exit codes, errors to one line, the engine, output.

Start-up is kept short (`--help` and `--version` in well under half a second): this module and every command
module import only typer, rich and the standard library at import time; the engine, pydantic, numpy, matplotlib
and the rest are imported inside the commands that use them (`tests/test_cli_startup.py` checks it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup, TyperOption

from ..errors import ConfigurationError, CouncilNotFound, InterventionError, StoreUnavailable

if TYPE_CHECKING:
    from ..clock import Clock
    from ..engine import InterventionEngine, Recorded
    from ..facts import Fact


class ExitCode(IntEnum):
    ok = 0
    checkpoints_failed = 1
    refused = 2
    not_found = 3
    store_unavailable = 4


class BadArgument(ValueError):
    """A command-line argument that cannot be read (a date, a JSON string)."""


class Commands(TyperGroup):
    """The command group: a flag (`--json`, `--lenient`, `--help`) shows no value type in help (no `<bool>`)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _untyped_flags(command.get_params(ctx))
        return command

    def get_params(self, ctx: Any) -> Any:
        return _untyped_flags(super().get_params(ctx))


def _untyped_flags(params: list[Any]) -> list[Any]:
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


app = typer.Typer(
    cls=Commands,
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
    """Entry point of the `intervention-engine` console script. A command line that cannot be read (an unknown
    option, a missing argument, a value of the wrong type) is one line on stderr, like every other refusal, with
    exit code 2, not a usage box."""
    from typer.exceptions import TyperException  # click's exceptions, as typer carries them

    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None  # Ctrl-C
    except TyperException as error:
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "intervention-engine"
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        typer.echo(f"Error: {message} (see '{command} --help')", err=True)
        raise SystemExit(getattr(error, "exit_code", ExitCode.refused)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"intervention-engine {version('intervention_engine')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="print the version and exit"),
    ] = False,
) -> None:
    """Record, replay and query the DfE intervention regime for councils' children's services."""


# ----------------------------------------------------------------------------------------------------------------
# Strings in, errors out.


@contextmanager
def reporting(as_json: bool) -> Iterator[None]:
    """Turn a refused command into one line on stderr and an exit code."""
    try:
        try:
            yield
        except Exception as error:
            from ..persistence.store import STORE_ERRORS, store_unavailable

            if isinstance(error, STORE_ERRORS):
                raise store_unavailable(error) from None
            raise
    except (InterventionError, BadArgument) as error:
        code = ExitCode.not_found if isinstance(error, CouncilNotFound) else ExitCode.refused
        if isinstance(error, StoreUnavailable):
            code = ExitCode.store_unavailable
        message = " ".join([str(error), *(f"({note})" for note in getattr(error, "__notes__", []))])
        if as_json:
            body = {"error": type(error).__name__, "message": message, "exit_code": int(code)}
            if getattr(error, "suggestions", None):
                body["did_you_mean"] = error.suggestions  # type: ignore[union-attr]
            line = json.dumps(body)
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
    from ..bootstrap import build_engine
    from ..settings import Settings

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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda code: bar.update(task, advance=1, description=f"{label} {code}")


def read_facts(text: str) -> list[Fact]:
    return [fact for fact, _ in read_facts_with_ids(text)]


def read_facts_with_ids(text: str) -> list[tuple[Fact, str | None]]:
    """The facts of FACT (JSON) or @FILE, each with what makes recording it again a no-op (`record_all`).

    A fact from a file is keyed by the file's name, the fact itself and how many identical facts came before it in
    the file; `record_all` adds the council to make its request id, so a rerun of the same file (after fixing a
    fact that was refused, say) records nothing twice. A fact given as JSON on the command line has no key."""
    from ..facts import fact_to_data, parse_fact
    from ..history.scenario import load_facts

    if text.startswith("@"):
        path = Path(text[1:])
        facts = load_facts(path)
        if not facts:
            raise BadArgument(f"{path} holds no facts")
        seen: dict[str, int] = {}
        keyed: list[tuple[Fact, str | None]] = []
        for fact in facts:
            body = json.dumps(fact_to_data(fact), sort_keys=True)
            seen[body] = seen.get(body, 0) + 1
            keyed.append((fact, "\n".join([path.name, body, str(seen[body])])))
        return keyed
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadArgument(f"FACT is not valid JSON: {error.msg} (column {error.colno})") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise BadArgument("FACT must be a JSON object (or a list of objects) with a `type` field")
    where = "FACT" if len(items) == 1 else "FACT[{}]"
    return [(parse_fact(item, where=where.format(index)), None) for index, item in enumerate(items)]


def record_all(
    engine: InterventionEngine, council: str, facts: Sequence[tuple[Fact, str | None]], lenient: bool
) -> list[Recorded]:
    """Record each fact in order, a keyed one under a request id derived from its key and the council (by its
    code, however it was typed); when one is refused, the error says which of those before it were recorded
    (and which had been already, by an earlier run of the same file)."""
    recorded: list[Recorded] = []
    for number, (fact, key) in enumerate(facts, start=1):
        try:
            recorded.append(
                engine.record(
                    council, fact, strict=False if lenient else None, request_id=_request_id(engine, council, key)
                )
            )
        except InterventionError as error:
            if recorded:
                error.add_note(f"fact {number} of {len(facts)} refused; {_recorded_before(recorded)}")
            raise
    return recorded


def _request_id(engine: InterventionEngine, council: str, key: str | None) -> str | None:
    if key is None:
        return None
    found = engine.index.find(council)
    who = engine.index.codes[found] if found is not None else council.strip().casefold()
    return "cli-file-" + hashlib.sha256(f"{who}\n{key}".encode()).hexdigest()[:32]


def _recorded_before(recorded: Sequence[Recorded]) -> str:
    new = [item for item in recorded if not item.duplicate]
    again = len(recorded) - len(new)
    said = [f"{item.fact_type} on {item.occurred_on.isoformat()}" for item in new]
    text = f"recorded before it: {', '.join(said)}" if said else "none recorded before it"
    return text + (f"; {again} already recorded by an earlier run" if again else "")


SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


def files_in(paths: Sequence[Path] | None) -> list[Path]:
    """The files named, a directory standing for its scenario files (.yaml, .yml, .json), by name."""
    found: list[Path] = []
    for path in paths or ():
        if not path.is_dir():
            found.append(path)  # a missing file is reported by whoever reads it, naming it
            continue
        inside = sorted(item for item in path.iterdir() if item.is_file() and item.suffix in SCENARIO_SUFFIXES)
        if not inside:
            raise BadArgument(f"{path} holds no {', '.join(SCENARIO_SUFFIXES)} files")
        found += inside
    return found


def choice(value: str | None, choices: Sequence[str], option: str) -> str | None:
    """`value` if it is one of `choices`; otherwise a BadArgument naming the option, with a did-you-mean."""
    if value is None or value in choices:
        return value
    from rapidfuzz import process

    near = process.extractOne(value, list(choices), score_cutoff=60)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise BadArgument(f"{option} {value!r} is not one of {', '.join(choices)}{hint}")


def parse_day(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    from ..dates import check_day

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadArgument(f"{option} {text!r} is not a date (YYYY-MM-DD): {error}") from None
    try:
        return check_day(day, option)
    except ValueError as error:
        raise BadArgument(str(error)) from None


def emit(as_json: bool, data: Any, tables: Any) -> None:
    """JSON on stdout with `--json`; otherwise the rich renderables that `tables()` returns: tables as wide as the
    terminal, or, when stdout is not a terminal (piped, redirected), each row as a block of `column: value`
    lines, so that no word is split to fit 80 columns."""
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    from .tables import as_records

    console = Console(highlight=False)
    for renderable in tables():
        if console.is_terminal:
            console.print(renderable)
        else:
            for line in as_records(renderable):
                console.print(line, soft_wrap=True)
