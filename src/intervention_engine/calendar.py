"""Working days and month arithmetic for England and Wales (rules WD-01, WD-02, WD-03).

A working day is any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in England
and Wales (SI 2007/462 reg 1(2), WD-01). Bank holidays, substitute days and one-off proclaimed days come from the
`holidays` package (`UnitedKingdom(subdiv="ENG")`), never from a hand-kept list.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=1)
def _england_and_wales() -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG")


class WorkingDayCalendar:
    """Working days in England and Wales (WD-01)."""

    region = "england-and-wales"

    def __init__(self) -> None:
        self._holidays = _england_and_wales()

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def holiday_name(self, day: dt.date) -> str | None:
        name = self._holidays.get(day)
        return str(name) if name else None

    def add_working_days(self, start: dt.date, n: int, *, include_start: bool = False) -> dt.date:
        """The `n`th working day after `start` (WD-02: the day of receipt is not counted).

        With `include_start=True` (a sensitivity option), `start` itself counts as day 1 when it is a working day.
        """
        if n < 1:
            raise ValueError(f"working days to add must be at least 1, not {n}")
        day = start
        counted = 1 if include_start and self.is_working_day(start) else 0
        while counted < n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start` to `end` (negative when `end` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return months
