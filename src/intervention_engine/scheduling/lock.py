"""The leader lock: exactly one scheduler process per database (DESIGN decision 7, section 3).

Two schedulers on one database would each fire the same timers. Firing is idempotent, so no timer would fire twice,
but both would race to save the same council streams (one failing on the version conflict) and would log each
firing twice; APScheduler's own advice is never to share a job store between schedulers. So a scheduler takes this
lock before it starts (before it fires anything) and holds it for the life of its process.

A lock is a tiny interface (`SchedulerLock`: acquire, release) so the backend can choose its own: an `flock` on a
file beside a SQLite database, nothing for the in-memory store (it lives and dies with one process), and later a
PostgreSQL advisory lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

from ..errors import ConfigurationError, InterventionError
from ..settings import Settings


class SchedulerAlreadyRunning(InterventionError, RuntimeError):
    """Another scheduler holds the lock of this database; a second one refuses to start."""

    def __init__(self, database: str, pid: int | None, lock: str) -> None:
        self.database = database
        self.pid = pid
        holder = f"pid {pid}" if pid is not None else "a process whose pid is not yet written"
        super().__init__(
            f"a scheduler is already running on database {database} ({holder} holds {lock}); "
            "only one scheduler may run per database: stop that one first"
        )


class SchedulerLock(Protocol):
    """Held by the one scheduler of a database while it runs."""

    def acquire(self) -> None:
        """Take the lock without waiting, or raise `SchedulerAlreadyRunning`."""

    def release(self) -> None:
        """Give the lock back (a no-op when it is not held)."""


class NoLock:
    """For a store that only one process can see (the in-memory backend): nothing to exclude."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None


class FileLock:
    """An exclusive `flock` on a lock file, holding the holder's pid; the OS releases it if the process dies.

    `flock` locks belong to an open file description, so a second lock in the same process is refused too. The
    file is never deleted: deleting it would let a third process lock a fresh file while the first still runs.
    """

    def __init__(self, path: Path, database: str) -> None:
        self.path = path
        self.database = database
        self._fd: int | None = None

    @classmethod
    def beside(cls, db: Path) -> FileLock:
        """The lock of a SQLite database: `<db>.scheduler.lock` in the same folder."""
        resolved = db.resolve()
        return cls(resolved.with_name(resolved.name + ".scheduler.lock"), str(resolved))

    def acquire(self) -> None:
        if self._fd is not None:
            raise SchedulerAlreadyRunning(self.database, os.getpid(), str(self.path))
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by child processes (PEP 446)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise SchedulerAlreadyRunning(self.database, holder, str(self.path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def lock_for(settings: Settings) -> SchedulerLock:
    """The lock that keeps a second scheduler off the database these settings name."""
    if settings.backend == "memory":
        return NoLock()
    if settings.backend == "sqlite":
        return FileLock.beside(settings.db)
    raise ConfigurationError(f"no scheduler lock is known for the {settings.backend!r} backend")
