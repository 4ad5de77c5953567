"""A fact's date as its source knew it: a day, or only the month (`2017-03`), quarter (`2015-Q4`) or year (`2017`).

A partial date is placed on the first day of its period (the earliest day it can mean); its precision says so.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


class DatePrecision(StrEnum):
    """How much of `occurred_on` the source actually knew."""

    day = "day"
    month = "month"
    quarter = "quarter"
    year = "year"


def parse_partial_date(value: str) -> tuple[dt.date, DatePrecision]:
    """`2017-03` → (2017-03-01, month); `2015-Q4` → (2015-10-01, quarter); `2017` → (2017-01-01, year).

    A full ISO date is returned as it is, with day precision; anything else raises ValueError.
    """
    match = _PARTIAL_DATE.match(value.strip())
    if match is None:
        return dt.date.fromisoformat(value.strip()), DatePrecision.day
    year, month, quarter = int(match.group(1)), match.group(2), match.group(3)
    if month is not None:
        return dt.date(year, int(month), 1), DatePrecision.month
    if quarter is not None:
        return dt.date(year, 3 * int(quarter) - 2, 1), DatePrecision.quarter
    return dt.date(year, 1, 1), DatePrecision.year


_PERIOD_MONTHS = {DatePrecision.month: 1, DatePrecision.quarter: 3, DatePrecision.year: 12}


def period_of(day: dt.date, precision: DatePrecision) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year of `day` (a full date is its own period)."""
    if precision is DatePrecision.day:
        return day, day
    months = _PERIOD_MONTHS[precision]
    start = dt.date(day.year, day.month - (day.month - 1) % months, 1)
    following = dt.date(start.year + (start.month + months - 1) // 12, (start.month + months - 1) % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)
