"""An app served by a real uvicorn server on a thread of the test process (127.0.0.1, a free port), for tests that
need real connections: streams that stay open, keep-alive, a client that stops reading."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from http_service import free_port
from waiting import eventually


@contextmanager
def served(app: FastAPI, **config: object) -> Iterator[str]:
    """Serve `app` until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **config)  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    eventually(lambda: server.started, "the server to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
