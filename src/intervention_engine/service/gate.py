"""One engine, one caller at a time: the engine and its indexes are not thread-safe, and FastAPI runs each request
on a worker thread.

Reads borrow the engine under a lock (`use`). Writes, the hot path, queue for one thread of their own (`run`),
which takes the same lock: a burst of writes waits in a FIFO queue instead of waking dozens of worker threads to
fight over the lock.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from ..engine import InterventionEngine

T = TypeVar("T")


class EngineGate:
    """Lends the engine to one caller at a time."""

    def __init__(self, engine: InterventionEngine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-writer")

    @contextmanager
    def use(self) -> Iterator[InterventionEngine]:
        with self._lock:
            yield self.engine

    async def run(self, call: Callable[[InterventionEngine], T]) -> T:
        """Run `call(engine)` on the writer thread, under the lock, without blocking the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, self._locked, call)

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def _locked(self, call: Callable[[InterventionEngine], T]) -> T:
        with self._lock:
            return call(self.engine)
