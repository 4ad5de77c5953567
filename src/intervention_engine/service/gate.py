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
The event loop records a batch itself when nobody else holds the engine, which blocks the loop for that batch
(a few milliseconds): a hop to another thread and back, and the two threads taking turns at the interpreter lock,
cost more (on PostgreSQL too, measured by benchmarks/service.py). Otherwise the batch waits for the writer thread.
Saving on a thread of its own while the loop decided (so the loop read the next requests while the store
committed) was measured too: the batches halved (4 facts against 7.5 with 8 clients, who then wait on two
transactions in turn), each fact cost 10 to 30% more CPU, and the rate fell on an idle machine.
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
                call = partial(self._record_many, commands)
                if self.inline_writes and self._lock.acquire(blocking=False):  # nobody else is using the engine
                    try:
                        outcomes = call(self.engine)
                    finally:
                        self._lock.release()
                else:
                    outcomes = await self.run(call)
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

    def _record_many(self, commands: list[RecordCommand], engine: InterventionEngine) -> list[Recorded | Exception]:
        cpu = time.thread_time()
        try:
            return engine.record_many(commands)
        finally:
            self.recorded_cpu_seconds += time.thread_time() - cpu

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def _locked(self, call: Callable[[InterventionEngine], T]) -> T:
        with self._lock:
            return call(self.engine)
