"""A real-time clock for the live scheduler tests, and a script that runs the service in a child process.

`ShiftedClock` runs at real speed, but its day `day` begins at a chosen instant (say, two seconds from now), so a
timer due the day before (timers fire when their day is over) honestly fires two seconds ahead. Its `start_of` is
the `day_starts` that agrees with it.

Run as a script: `python tests/live_service.py DB DAY SECONDS LOG` runs `run_service` on the SQLite file DB with a
`ShiftedClock` whose DAY begins SECONDS from now, logging to LOG, until SIGINT or SIGTERM.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

ONE_DAY = dt.timedelta(days=1)


class ShiftedClock:
    """A wall clock shifted so that `day` begins at `begins_at` (days last 24 real hours)."""

    def __init__(self, day: dt.date, *, begins_in: float) -> None:
        self.day = day
        self.begins_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=begins_in)

    def today(self) -> dt.date:
        return self.day + dt.timedelta(days=(dt.datetime.now(dt.UTC) - self.begins_at) // ONE_DAY)

    def start_of(self, day: dt.date) -> dt.datetime:
        """When `day` begins on this clock (the scheduler's `day_starts`)."""
        return self.begins_at + (day - self.day).days * ONE_DAY


def main(argv: list[str]) -> None:
    from intervention_engine import Settings
    from intervention_engine.cli.scheduler import run_service

    db, day, seconds, log = argv
    logging.basicConfig(filename=log, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    clock = ShiftedClock(dt.date.fromisoformat(day), begins_in=float(seconds))
    run_service(Settings(backend="sqlite", db=Path(db)), clock=clock, day_starts=clock.start_of)


if __name__ == "__main__":
    main(sys.argv[1:])
