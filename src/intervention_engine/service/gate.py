"""One engine, one caller at a time: the engine and its indexes are not thread-safe, and FastAPI runs each request
on a worker thread.

Reads (`read`: queries, what-ifs, report data) borrow one of the reader engines, each on its own connections to
the same store, so they never wait for the writer's lock and the writer never waits for them (four clients looping
on `GET /national` took writes from p50 3 ms to 1.3 s when reads shared the writer's lock). Without reader engines
(the in-memory store, whose data no second engine can see) reads borrow the engine under the lock (`use`).

Facts to record (`record`), the hot path, queue in the event loop and
are recorded together: `InterventionEngine.record_many` decides each one as `record` would and saves the facts of
different councils in one transaction, so a burst of requests costs one commit, not one each, and each request
still gets its own answer or its own error. Before a batch is taken the loop turns a few more times, for as long
as requests it is already reading keep joining the queue (no clock is involved, so a lone request does not wait).
When nobody else holds the engine, the event loop decides a batch itself (`InterventionEngine.decide_many`: a hop
to another thread and back, and two threads taking turns at the interpreter lock, cost more than deciding, on
PostgreSQL too, benchmarks/service.py), and the saver thread saves it (`Batch.outcomes`: encode, insert, commit),
so that while the store commits (SQLite waits for the disk, PostgreSQL for its server) the loop goes on reading
the next requests. The engine's lock is held from the decision to the end of the save, and released by the saver
thread. Otherwise the batch waits for the writer thread, which records it as a whole.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

from ..engine import InterventionEngine, RecordCommand, Recorded
from ..persistence.unit_of_work import Batch

T = TypeVar("T")

MAX_BATCH = 64  # facts recorded together at most
GATHER_ROUNDS = 16  # turns of the event loop a batch waits for more requests, while they keep coming


class EngineGate:
    """Lends the engine to one caller at a time."""

    def __init__(
        self, engine: InterventionEngine, *, inline_writes: bool = True, readers: Sequence[InterventionEngine] = ()
    ) -> None:
        self.engine = engine
        self.readers = list(readers)
        self._idle_readers: queue.SimpleQueue[InterventionEngine] = queue.SimpleQueue()
        for reader in self.readers:
            self._idle_readers.put(reader)
        # Batches are recorded on the event loop itself when nobody else holds the engine: handing them to another
        # thread and back costs more than it saves, on SQLite and on PostgreSQL alike (benchmarks/service.py).
        # `inline_writes=False` always uses the writer thread, so the loop never waits for the database.
        self.inline_writes = inline_writes
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-writer")
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-saver")  # never waits for the lock
        self._queue: list[tuple[RecordCommand, asyncio.Future[Recorded]]] = []
        self.recorded_facts = 0  # facts handed to `record_many`, in how many batches, and the CPU time that took
        self.recorded_batches = 0  # (its saves included: `engine.store.saves`) (health figures)
        self.recorded_cpu_seconds = 0.0
        self._draining: asyncio.Task[None] | None = None

    @property
    def idle_readers(self) -> int:
        """Reader engines not lent at this moment (a streamed export holds one until its stream ends)."""
        return self._idle_readers.qsize()

    @contextmanager
    def use(self) -> Iterator[InterventionEngine]:
        with self._lock:
            yield self.engine

    @contextmanager
    def read(self) -> Iterator[InterventionEngine]:
        """An engine to read with: an idle reader engine (waiting for one if all are busy), never the writer's lock
        when there are readers; the engine under the lock otherwise."""
        if not self.readers:
            with self.use() as engine:
                yield engine
            return
        reader = self._idle_readers.get()
        try:
            yield reader
        finally:
            self._idle_readers.put(reader)

    async def run(self, call: Callable[[InterventionEngine], T]) -> T:
        """Run `call(engine)` on the writer thread, under the lock, without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._locked, call)

    async def record(self, command: RecordCommand) -> Recorded:
        """Record one fact together with the others queued meanwhile; its own answer, or its own error, raised."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._queue.append((command, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            await self._gather()
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            commands = [command for command, _ in batch]
            self.recorded_facts += len(commands)
            self.recorded_batches += 1
            try:
                if self.inline_writes and self._lock.acquire(blocking=False):  # nobody else is using the engine
                    outcomes = await self._decide_here_save_there(commands)
                else:
                    outcomes = await self.run(partial(self._record_many, commands))
            except Exception as error:  # the engine failed as a whole (its store is gone): every caller hears it
                outcomes = [error] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the client went away
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _gather(self) -> None:
        """Let the requests the event loop is already reading reach the queue before the batch is taken: yield to
        the loop (no waiting on a clock) for as long as the queue grows, up to a full batch."""
        for _ in range(GATHER_ROUNDS):
            queued = len(self._queue)
            await asyncio.sleep(0)
            if len(self._queue) == queued or len(self._queue) >= MAX_BATCH:
                return

    async def _decide_here_save_there(self, commands: list[RecordCommand]) -> list[Recorded | Exception]:
        """Decide `commands` on the event loop, under the lock the caller took, and save them on the saver thread,
        which releases the lock once the batch is stored (even if the caller stops waiting)."""
        try:
            batch = self._timed(self.engine.decide_many, commands)
        except BaseException:
            self._lock.release()
            raise
        if not batch:  # every command answered or refused: nothing to save
            self._lock.release()
            return batch.outcomes()
        return await asyncio.get_running_loop().run_in_executor(self._saver, self._save_and_release, batch)

    def _save_and_release(self, batch: Batch[Recorded]) -> list[Recorded | Exception]:
        try:
            return self._timed(batch.outcomes)
        finally:
            self._lock.release()

    def _record_many(self, commands: list[RecordCommand], engine: InterventionEngine) -> list[Recorded | Exception]:
        return self._timed(engine.record_many, commands)

    def _timed(self, call: Callable[..., T], *args: object) -> T:
        """`call(*args)`, its thread's CPU time counted in `recorded_cpu_seconds`."""
        cpu = time.thread_time()
        try:
            return call(*args)
        finally:
            self.recorded_cpu_seconds += time.thread_time() - cpu

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self._saver.shutdown(wait=True)

    def _locked(self, call: Callable[[InterventionEngine], T]) -> T:
        with self._lock:
            return call(self.engine)
