"""The leader lock: exactly one scheduler process per database (DESIGN decision 7, section 3).

Two schedulers on one database would each fire the same timers. Firing is idempotent, so no timer would fire twice,
but both would race to save the same council streams (one failing on the version conflict) and would log each
firing twice; APScheduler's own advice is never to share a job store between schedulers. So a scheduler takes this
lock before it starts (before it fires anything) and holds it for the life of its process.

A lock is a tiny interface (`SchedulerLock`: acquire, release, is_held) so the backend can choose its own: an
file lock beside a SQLite database (`filelock`: `flock` on POSIX, `msvcrt.locking` on Windows, so the package
imports on both), nothing for the in-memory store (it lives and dies with one process),
and a session-level advisory lock on a PostgreSQL database that several service processes share. Both real locks
are released by the operating system or the database server when their holder dies, so another process can take
over (`leader.SchedulerLeader` retries the lock periodically).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

import filelock

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

    def is_held(self) -> bool:
        """Whether this lock is held by us right now (a lost database connection loses the lock)."""


class NoLock:
    """For a store that only one process can see (the in-memory backend): nothing to exclude."""

    def __init__(self) -> None:
        self._held = False

    def acquire(self) -> None:
        self._held = True

    def release(self) -> None:
        self._held = False

    def is_held(self) -> bool:
        return self._held


class FileLock:
    """An exclusive lock on a lock file; the OS releases it if the process dies. The holder's pid is written
    beside it (`<lock>.pid`), so a scheduler refused can name the process that holds the database.

    The lock is `filelock`'s native one for the platform (`flock` on POSIX, `msvcrt.locking` on Windows), which
    keeps the lock file's removal on release safe against a process locking it at the same moment. It belongs to an
    open file, so a second lock in the same process is refused too.
    """

    def __init__(self, path: Path, database: str) -> None:
        self.path = path
        self.database = database
        self._lock: filelock.BaseFileLock | None = None

    @classmethod
    def beside(cls, db: Path) -> FileLock:
        """The lock of a SQLite database: `<db>.scheduler.lock` in the same folder."""
        resolved = db.resolve()
        return cls(resolved.with_name(resolved.name + ".scheduler.lock"), str(resolved))

    def acquire(self) -> None:
        if self._lock is not None:
            raise SchedulerAlreadyRunning(self.database, os.getpid(), str(self.path))
        lock = filelock.FileLock(self.path, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise SchedulerAlreadyRunning(self.database, _read_pid(self._pid_file), str(self.path)) from None
        self._lock = lock
        self._pid_file.write_text(f"{os.getpid()}\n", encoding="ascii")

    def release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        with contextlib.suppress(OSError):
            self._pid_file.write_text("", encoding="ascii")
        lock.release(force=True)

    def is_held(self) -> bool:
        return self._lock is not None

    @property
    def _pid_file(self) -> Path:
        return self.path.with_name(self.path.name + ".pid")


class PostgresAdvisoryLock:
    """A session-level PostgreSQL advisory lock, held on a connection of its own for as long as the scheduler runs.

    The key is derived from the schema and the lock's name, so several engines on one server (one schema each) do
    not exclude each other. When the holder dies, its connection closes and the server releases the lock at once;
    `is_held` asks the server, so a holder that lost its connection finds out and stops scheduling.
    """

    def __init__(self, settings: Settings, name: str = "intervention_engine.scheduler") -> None:
        self.settings = settings
        self.database = settings.describe_database()
        self.key = advisory_key(f"{settings.postgres_schema or 'public'}:{name}")
        self._connection: Any = None

    def acquire(self) -> None:
        if self._connection is not None:
            raise SchedulerAlreadyRunning(self.database, os.getpid(), self._describe())
        connection = self._connect()
        try:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not row or not row[0]:
                holder = connection.execute(
                    "SELECT a.pid, a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND ((l.classid::bigint << 32) | l.objid::bigint) = %s",
                    (self.key,),
                ).fetchone()
                raise SchedulerAlreadyRunning(self.database, _holder_pid(holder), self._describe())
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            # The connection is going anyway, and closing it releases the lock: a failure here changes nothing.
            with contextlib.suppress(Exception):
                connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        finally:
            connection.close()

    def is_held(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            row = connection.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()"
            ).fetchone()
        except Exception:
            return False
        return bool(row and row[0])

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            **self.settings.postgres_connection(), application_name=f"intervention_engine scheduler pid {os.getpid()}"
        )

    def _describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"


def advisory_key(name: str) -> int:
    """A stable, non-negative 63-bit advisory lock key for a name (fits PostgreSQL's bigint)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") & 0x7FFF_FFFF_FFFF_FFFF


def _holder_pid(row: Any) -> int | None:
    if not row:
        return None
    # application_name carries the holder's own pid (the server's pid is that of its backend process).
    name = str(row[1] or "")
    tail = name.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def lock_for(settings: Settings) -> SchedulerLock:
    """The lock that keeps a second scheduler off the database these settings name."""
    if settings.backend == "memory":
        return NoLock()
    if settings.backend == "sqlite":
        return FileLock.beside(settings.db)
    if settings.backend == "postgres":
        return PostgresAdvisoryLock(settings)
    raise ConfigurationError(f"no scheduler lock is known for the {settings.backend!r} backend")
