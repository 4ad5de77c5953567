"""One engine, one caller at a time: the engine and its indexes are not thread-safe, and FastAPI runs each request
on a worker thread.

Reads borrow the engine under a lock (`use`). Facts to record (`record`), the hot path, queue in the event loop and
are recorded together: `InterventionEngine.record_many` decides each one as `record` would and saves the facts of
different councils in one transaction, so a burst of requests costs one commit, not one each, and each request
still gets its own answer or its own error. The facts that arrive while a batch is being recorded make the next
batch. On a local store (SQLite, memory) the event loop records a batch itself when nobody else holds the engine:
handing it to another thread and back costs more than the batch. On PostgreSQL, whose answers take a round trip,
batches go to a writer thread of their own so the loop reads the next requests while the database answers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from operator import methodcaller
from typing import TypeVar

from ..engine import InterventionEngine, RecordCommand, Recorded

T = TypeVar("T")

MAX_BATCH = 64  # facts handed to the writer thread at once


class EngineGate:
    """Lends the engine to one caller at a time."""

    def __init__(self, engine: InterventionEngine, *, inline_writes: bool | None = None) -> None:
        self.engine = engine
        # Facts are recorded on the event loop itself when the store is local (SQLite, memory): handing a batch to
        # another thread costs more than it saves. A store across the network (PostgreSQL) waits for its answers,
        # and the loop reads the next requests meanwhile if the batch runs on the writer thread.
        self.inline_writes = not engine.store.waits_on_network if inline_writes is None else inline_writes
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-writer")
        self._queue: list[tuple[RecordCommand, asyncio.Future[Recorded]]] = []
        self._draining: asyncio.Task[None] | None = None

    @contextmanager
    def use(self) -> Iterator[InterventionEngine]:
        with self._lock:
            yield self.engine

    async def run(self, call: Callable[[InterventionEngine], T]) -> T:
        """Run `call(engine)` on the writer thread, under the lock, without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._locked, call)

    async def record(self, command: RecordCommand) -> Recorded:
        """Record one fact on the writer thread, together with the other facts queued meanwhile."""
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._queue.append((command, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            commands = [command for command, _ in batch]
            try:
                call = methodcaller("record_many", commands)
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

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def _locked(self, call: Callable[[InterventionEngine], T]) -> T:
        with self._lock:
            return call(self.engine)
