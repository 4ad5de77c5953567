"""Live firing of timers: the APScheduler 3.x adapter, the one-scheduler-per-database lock and the standby
leader that takes the lock over when its holder dies.

The scheduler is a cache of the timer events (DESIGN decisions 6 and 7): `LiveScheduler` rebuilds its jobs from
`engine.due()` at start-up and after every firing; `cli.scheduler.run_service` (what `intervention-engine run`
calls) builds one from settings.
"""

from ..engine import fires_on
from .leader import SchedulerLeader
from .live import DayStarts, LiveScheduler, StartOfDay, job_id
from .lock import FileLock, NoLock, SchedulerAlreadyRunning, SchedulerLock, lock_for

__all__ = [
    "DayStarts",
    "FileLock",
    "LiveScheduler",
    "NoLock",
    "SchedulerAlreadyRunning",
    "SchedulerLeader",
    "SchedulerLock",
    "StartOfDay",
    "fires_on",
    "job_id",
    "lock_for",
]
