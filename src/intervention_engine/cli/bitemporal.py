"""The options of bitemporal questions (`status`, `timeline`): as the record stood at a time, or at a version."""

from __future__ import annotations

from typing import Annotated

import typer

from ..projections.bitemporal import parse_instant as parse_instant

KnownOnOption = Annotated[
    str | None,
    typer.Option(
        "--known-on",
        help="as the record stood then: a day (its end, UTC), YYYY-MM-DD, or an instant, YYYY-MM-DDTHH:MM:SS[+HH:MM]; "
        "not before --as-of",
    ),
]
# Not `--version`: that prints the program's version.
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--stream-version", "--at-version", min=1, help="as the council's stream stood at this version (1: registered)"
    ),
]
