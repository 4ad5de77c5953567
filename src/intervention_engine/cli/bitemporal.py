"""The options of bitemporal questions (`status`, `timeline`): as the record stood at a time, or at a version."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

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


def parse_instant(text: str | None, option: str) -> dt.date | dt.datetime | None:
    """`projections.bitemporal.parse_instant`, imported when an option is given (pydantic is not needed for --help)."""
    if text is None:
        return None
    from ..projections.bitemporal import parse_instant as parse

    return parse(text, option)
