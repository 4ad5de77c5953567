"""Commands that run the engine as a service: the timer scheduler and the HTTP API."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from .app import DbOption, app, reporting


@app.command()
def run(
    db: DbOption = None,
    resync_every: Annotated[
        float | None,
        typer.Option(
            "--resync-every",
            min=1.0,
            help="seconds between re-reads of timers other processes set (default INTERVENTION_ENGINE_SCHEDULER_"
            "RESYNC_SECONDS, 10)",
        ),
    ] = None,
) -> None:
    """Fire this database's timers as they fall due, in the foreground, until Ctrl-C (one scheduler per database)."""
    from ..settings import Settings
    from .scheduler import run_service

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with reporting(False):
        settings = Settings(db=db) if db is not None else Settings()
        run_service(settings, resync_every=resync_every)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port to listen on")] = 8000,
    db: DbOption = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="never run the database's timer scheduler in this process")
    ] = False,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs) until Ctrl-C. Backend, PostgreSQL and API tokens come from the
    INTERVENTION_ENGINE_* environment (see the README); one process per database runs the timers, others stand by."""
    from ..service.server import run_server
    from ..settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with reporting(False):
        settings = Settings(db=db) if db is not None else Settings()
        run_server(settings, host=host, port=port, scheduler=not no_scheduler)
