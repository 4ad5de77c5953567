"""Run the HTTP service in the foreground with uvicorn (`intervention-engine serve`), until SIGINT or SIGTERM.

Stopping is clean: open event streams end, requests under way finish (at most `graceful_seconds`), the scheduler
(if this process held it) stops and gives its lock back, and the store is closed.
"""

from __future__ import annotations

import logging
import os
import threading
from types import FrameType

import uvicorn

from ..clock import Clock
from ..scheduling.live import DayStarts
from ..settings import Settings
from .compose import build_app
from .protocol import timed_protocol

logger = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn's server, which also tells the app that it is stopping (so event streams end at once)."""

    def __init__(self, config: uvicorn.Config, stopping: threading.Event) -> None:
        super().__init__(config)
        self._stopping = stopping

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._stopping.set()
        super().handle_exit(sig, frame)


def run_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    scheduler: bool = True,
    clock: Clock | None = None,
    day_starts: DayStarts | None = None,
    access_log: bool = False,
    graceful_seconds: int = 3,
) -> None:
    """Serve the API for the database named by `settings` on `host:port`; blocks until stopped.

    With `scheduler` (the default) this process also stands by to run the database's one scheduler. `clock` and
    `day_starts` are parameters so tests can run the real server on a clock whose next day begins in seconds.
    """
    if not settings.api_tokens():
        logger.warning("no API tokens configured (INTERVENTION_ENGINE_TOKENS): every request but /health is refused")
    stopping = threading.Event()
    app = build_app(settings, clock=clock, scheduler=scheduler, day_starts=day_starts, stopping=stopping)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info",
        timeout_graceful_shutdown=graceful_seconds,
        lifespan="on",
        http=timed_protocol(settings.header_timeout_seconds, settings.body_timeout_seconds),
    )
    logger.info("serving %s on http://%s:%d (pid %d)", settings.describe_database(), host, port, os.getpid())
    _Server(config, stopping).run()
