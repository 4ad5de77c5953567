"""One scheduler per database, many service processes: the others wait, and one takes over when the holder dies.

Every service process runs a `SchedulerLeader`. It tries the database's scheduler lock (`scheduling.lock`: a
PostgreSQL advisory lock, or a file lock beside SQLite) every `retry_every` seconds; the process that gets it runs
the `LiveScheduler` (which first fires whatever fell due while nobody held it, then keeps one job per timer). When
the holder dies, the database server or the operating system releases its lock, and the next retry of a waiting
process takes over. A holder that loses its lock (its database connection dropped) stops scheduling at once.
"""

from __future__ import annotations

import logging
import threading

from .live import LiveScheduler
from .lock import SchedulerAlreadyRunning

logger = logging.getLogger(__name__)


class SchedulerLeader:
    """Runs `scheduler` whenever this process holds its lock; otherwise waits and retries."""

    def __init__(self, scheduler: LiveScheduler, *, retry_every: float = 1.0) -> None:
        if retry_every <= 0:
            raise ValueError("retry_every must be a positive number of seconds")
        self.scheduler = scheduler
        self.retry_every = retry_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.takeovers = 0  # how many times this process took the scheduler over

    @property
    def leading(self) -> bool:
        return self.scheduler.running

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this SchedulerLeader has already been started")
        self._thread = threading.Thread(target=self._run, name="scheduler-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop waiting or scheduling, release the lock, and close the scheduler's engine."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.scheduler.stop()
        self.scheduler.engine.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except Exception:  # a database hiccup must not kill the standby loop: log it, try again
                logger.exception("scheduler leadership check failed; retrying in %s s", self.retry_every)
            self._stop.wait(self.retry_every)

    def _step(self) -> None:
        if not self.scheduler.running:
            try:
                fired = self.scheduler.start()
            except SchedulerAlreadyRunning as held:
                logger.debug("standing by: %s", held)
                return
            self.takeovers += 1
            logger.info("this process now runs the scheduler (%d timers fired on taking over)", len(fired))
        elif not self.scheduler.lock.is_held():
            logger.warning("the scheduler lock was lost (database connection dropped?); standing by")
            self.scheduler.stop()
