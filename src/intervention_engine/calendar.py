"""Working days and month arithmetic for England and Wales (rules WD-01, WD-02, WD-03).

A working day is any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a bank holiday in England
and Wales (SI 2007/462 reg 1(2), WD-01). Bank holidays, substitute days and one-off proclaimed days come from the
`holidays` package (`UnitedKingdom(subdiv="ENG")`), never from a hand-kept list.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from dataclasses import dataclass
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


@dataclass(frozen=True)
class OfstedPause:
    """Ofsted's pause of 2020-21, a calendar of the regime that replays and simulations read alike.

    Graded inspections (ILACS-04, ILACS-09): none began from the suspension of routine inspection on 17 March 2020
    until 28 June 2021, the first graded fieldwork the national record holds after it (the last before it began on
    9 March 2020). Monitoring visits (ILACS-08): paused from 17 March 2020 to 1 May 2021. Intervals are measured and
    drawn in *active* days, the days outside the pause, so an interval straddling the pause is stretched by it as
    the record's are. Both windows are half-open: [start, end).
    """

    graded: tuple[dt.date, dt.date] = (dt.date(2020, 3, 17), dt.date(2021, 6, 28))
    monitoring: tuple[dt.date, dt.date] = (dt.date(2020, 3, 17), dt.date(2021, 5, 1))

    def graded_paused(self, day: dt.date) -> bool:
        return self.graded[0] <= day < self.graded[1]

    def active_days(self, start: int, end: int) -> int:
        """Days in [start, end) (ordinals) outside the graded pause."""
        first, last = self.graded[0].toordinal(), self.graded[1].toordinal()
        return end - start - max(0, min(end, last) - max(start, first))

    def add_active_days(self, start: int, days: int) -> int:
        """The day `days` active days after `start` (ordinals): the pause's days are skipped, not counted."""
        first, last = self.graded[0].toordinal(), self.graded[1].toordinal()
        if start >= last or start + days < first:
            return start + days
        return last + days - max(0, first - start)

    def unpaused_visit(self, day: dt.date) -> dt.date:
        """ILACS-08: a monitoring visit falling due in the monitoring pause falls due when it ends."""
        start, end = self.monitoring
        return end if start <= day < end else day


OFSTED_PAUSE = OfstedPause()
