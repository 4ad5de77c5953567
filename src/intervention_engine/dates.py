"""The one range of dates the engine accepts, everywhere: facts, queries, what-ifs, the command line and HTTP.

A date in the world is between `EARLIEST_DATE` (1990-01-01, before the first Ofsted or DfE record the engine
knows) and `LATEST_DATE` (2199-12-31: an engine on a virtual clock fires every timer in between, so the distance
is bounded). Outside it a date is refused with a message naming the range, never an overflow deep in the engine.
A number is never a date: `0` is not 1970-01-01.

`WorldDate` is the pydantic type of such a date; its JSON schema states the range as a pattern (the years) and
a format, so an OpenAPI client knows what the server accepts.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)
DATE_RANGE = f"{EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}"

YEAR_PATTERN = r"(199[0-9]|20[0-9]{2}|21[0-9]{2})"  # the years of the range, for JSON schemas
DAY_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
# A fact's date may be known only to the month (2017-03), the quarter (2015-Q4) or the year (2017).
FACT_DAY_PATTERN = rf"^{YEAR_PATTERN}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?|-Q[1-4])?$"


def not_a_number(value: Any) -> Any:
    """Refuse a number (or a string of digits only) where a date belongs: pydantic would read it as seconds since
    1970, which no caller means."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("must be a date (YYYY-MM-DD), not a number")
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError(f"{value!r} must be a date (YYYY-MM-DD), not a number")
    return value


def within_range(day: dt.date) -> dt.date:
    if day < EARLIEST_DATE:
        raise ValueError(
            f"{day.isoformat()} is before {EARLIEST_DATE.isoformat()}, the earliest date the engine accepts"
        )
    if day > LATEST_DATE:
        raise ValueError(
            f"{day.isoformat()} is after {LATEST_DATE.isoformat()}, the latest date the engine accepts (an engine on "
            "a virtual clock would fire every timer in between)"
        )
    return day


def check_day(day: dt.date, what: str) -> dt.date:
    """`day` if it is within the range; otherwise ValueError naming `what` (a command-line option, a field)."""
    try:
        return within_range(day)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None


WorldDate = Annotated[
    dt.date,
    BeforeValidator(not_a_number),
    AfterValidator(within_range),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
