"""The `intervention-engine` command line: a thin face on `InterventionEngine` (DESIGN decision 11).

It only turns strings into facts and dates, calls the engine, and turns results into rich tables (or JSON with
`--json`) and errors into exit codes. No rule lives here.

Exit codes:
    0  done
    1  a replay finished but some of its checkpoints do not hold
    2  input refused: bad option or argument, malformed fact or scenario file, impossible date, a move the
       rulebook forbids, a fact out of order or in the future, unusable settings; an unknown export table or
       format, an export --out in a folder that does not exist; a --known-on before --as-of; a command line that
       cannot be read (an unknown command or option, a missing argument, a value of the wrong type)
    3  the council is not registered
    4  the store cannot be used: disk full, read-only, corrupt (SQLite's quick_check fails), another application's
       file, a schema version this engine does not read, an unreachable PostgreSQL server

Errors are one line on stderr (a JSON object with `--json`), never a traceback; nothing is recorded by a command
that fails, except the facts before the refused one when a file holds a list of facts.
"""

from __future__ import annotations

from . import councils, exports, history, neighbours, service, sweep, whatif  # noqa: F401  (each adds its commands)
from .app import BadArgument, ExitCode, app, main, reporting
from .tables import (
    checkpoint_table,
    deviations_table,
    national_table,
    recorded_table,
    status_tables,
    timeline_table,
)

__all__ = [
    "BadArgument",
    "ExitCode",
    "app",
    "checkpoint_table",
    "deviations_table",
    "main",
    "national_table",
    "recorded_table",
    "reporting",
    "status_tables",
    "timeline_table",
]
