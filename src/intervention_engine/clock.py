"""Clocks: the only module that reads the wall clock (DESIGN decision 7).

Domain code and policies never ask for the time; the engine passes them `Clock.today()`. Replays and simulations
use `VirtualClock`, which moves only when told to; the live service uses `SystemClock`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Tells the engine what day it is in the world."""

    def today(self) -> dt.date: ...


class SystemClock:
    """The wall clock, in UTC (a council's day is an English day; UTC is within an hour of it)."""

    def today(self) -> dt.date:
        return dt.datetime.now(dt.UTC).date()


class VirtualClock:
    """A clock that only moves forward when told to, for replays, tests and simulations."""

    def __init__(self, start: dt.date = dt.date(1900, 1, 1)) -> None:
        self._today = start

    def today(self) -> dt.date:
        return self._today

    def advance_to(self, day: dt.date) -> None:
        """Move to `day`; a virtual clock never runs backwards."""
        if day > self._today:
            self._today = day
