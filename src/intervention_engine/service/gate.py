"""One engine, one caller at a time: the engine and its indexes are not thread-safe, and FastAPI runs each request
on a worker thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..engine import InterventionEngine


class EngineGate:
    """Lends the engine to one request at a time."""

    def __init__(self, engine: InterventionEngine) -> None:
        self.engine = engine
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator[InterventionEngine]:
        with self._lock:
            yield self.engine
