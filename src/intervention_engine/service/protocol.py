"""uvicorn's HTTP protocol (httptools) with deadlines on reading a request, which uvicorn itself does not set.

A client must send a request's headers within `header_seconds` of starting it (or of connecting), and its body
within `body_seconds` of the headers; otherwise the server closes the connection. Without them, 2,000 half-sent
requests without a token held 2,000 connections open for as long as their clients liked. (Between requests,
uvicorn's own keep-alive timeout closes an idle connection.)

uvicorn writes a response's head and its body with a system call each. Joining them in one write (holding the head
until the body or the loop's next turn) was measured in benchmarks/service.py and kept nothing: the wrapper's own
work cost what the second system call did.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)


class TimedHttpProtocol(HttpToolsProtocol):
    """httptools' protocol with a deadline on each request's headers and one on its body."""

    header_seconds = 10.0
    body_seconds = 30.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_seconds, "headers")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_seconds, "headers")

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._arm(self.body_seconds, "body")

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float, part: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, part, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, part: str, seconds: float) -> None:
        client: Any = self.client or ("?", 0)
        logger.info("closed the connection from %s:%s: a request's %s took over %g s", *client[:2], part, seconds)
        self.transport.close()


def timed_protocol(header_seconds: float, body_seconds: float) -> type[TimedHttpProtocol]:
    """The protocol class for uvicorn's `http` setting, with these deadlines."""
    return type("Timed", (TimedHttpProtocol,), {"header_seconds": header_seconds, "body_seconds": body_seconds})
