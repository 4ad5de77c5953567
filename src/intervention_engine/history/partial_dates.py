"""Placing dates known only to the month, quarter or year among the events of one file, without reordering them.

A source lists its events in the order they happened; a date such as `2014` says only that the event fell in
that year. The event is placed on the earliest day consistent with its place in the file: not before the day
the event before it was placed on, and within its own period where that is possible. So:

- `2014` with nothing before it in 2014 (or nothing at all) is placed on 1 January 2014;
- `2014` listed after an event of 1 September 2014 is placed on 1 September 2014, not on 1 January (which would
  put it before that event);
- `2014-Q1` listed after an event of 20 May 2014, already past its period, is placed on 20 May 2014, and the
  report says the file's order put it there, outside its period;
- `2014` listed before an event of 3 December 2013 (the next event with a full date) is placed on 3 December 2013,
  outside its period, and the report says so: the file's order wins over the written period.

Full dates are taken as written, so placed days never go backwards in file order while the file's full dates do
not. The precision is kept on the fact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..calendar import add_months
from ..facts import DatePrecision, parse_partial_date

_MONTHS = {DatePrecision.month: 1, DatePrecision.quarter: 3, DatePrecision.year: 12}


@dataclass(frozen=True)
class Placed:
    """Where a date was placed; `how` says why for a partial date (None for a full one)."""

    day: dt.date
    precision: DatePrecision
    how: str | None = None


def period_end(start: dt.date, precision: DatePrecision) -> dt.date:
    """The last day of the period that starts on `start` (a full date is its own period)."""
    if precision is DatePrecision.day:
        return start
    return add_months(start, _MONTHS[precision]) - dt.timedelta(days=1)


class UnreadableDate(ValueError):
    """A date text that is not YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY, with the line it is on."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(f"line {line}: {text!r} is not a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)")
        self.line, self.text = line, text


def place(text: str, after: tuple[dt.date, int] | None = None, before: tuple[dt.date, int] | None = None) -> Placed:
    """Place one date written `text`, listed after an event placed on `after` = (day, its line) and before the next
    full-dated event `before` = (day, its line), if any.

    Raises ValueError for a text that is not YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY.
    """
    start, precision = parse_partial_date(text)
    if precision is DatePrecision.day:
        return Placed(start, precision)
    end, written, kind = period_end(start, precision), text.strip(), precision.value
    if before is not None and before[0] < start and (after is None or after[0] <= before[0]):
        day, line = before
        return Placed(day, precision, f"{written} placed on {day.isoformat()} ({kind}: OUTSIDE its period, which "
                                      f"starts {start.isoformat()}, because the event listed after it, line {line}, "
                                      "is earlier)")  # fmt: skip
    if after is None or after[0] <= start:
        return Placed(start, precision, f"{written} placed on {start.isoformat()} ({kind}: first day)")
    previous, line = after
    if previous <= end:
        return Placed(previous, precision, f"{written} placed on {previous.isoformat()} ({kind}: "
                                           f"not before the event listed before it, line {line})")  # fmt: skip
    return Placed(previous, precision, f"{written} placed on {previous.isoformat()} ({kind}: "
                                       f"OUTSIDE its period, which ends {end.isoformat()}, because the event listed "
                                       f"before it, line {line}, is already later)")  # fmt: skip


def place_all(dates: Sequence[tuple[int, str]]) -> list[Placed]:
    """Place each (line, date text) of one file in file order; UnreadableDate names the first bad one."""
    written: list[tuple[dt.date, DatePrecision]] = []
    for line, text in dates:
        try:
            written.append(parse_partial_date(text))
        except ValueError:
            raise UnreadableDate(line, text) from None
    following: list[tuple[dt.date, int] | None] = []  # the next full-dated event after each event
    nearest: tuple[dt.date, int] | None = None
    for (line, _), (day, precision) in zip(reversed(dates), reversed(written), strict=True):
        following.append(nearest)
        nearest = (day, line) if precision is DatePrecision.day else nearest
    placed: list[Placed] = []
    after: tuple[dt.date, int] | None = None
    for (line, text), before in zip(dates, reversed(following), strict=True):
        placed.append(place(text, after, before))
        after = (placed[-1].day, line)
    return placed
