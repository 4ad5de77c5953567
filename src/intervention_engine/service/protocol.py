"""uvicorn's HTTP protocol (httptools) with deadlines on reading a request, which uvicorn itself does not set, and
with the writes of one turn of the event loop sent together.

A client must send a request's headers within `header_seconds` of starting it (or of connecting), and its body
within `body_seconds` of the headers; otherwise the server closes the connection. Without them, 2,000 half-sent
requests without a token held 2,000 connections open for as long as their clients liked. (Between requests,
uvicorn's own keep-alive timeout closes an idle connection.)

uvicorn writes a response's headers and its body to the socket apart: two system calls, and on a busy machine a
client woken by the headers that runs (and finds no body yet) before the server sends the body. Writes made in the
same turn of the event loop leave as one (`CoalescingTransport`), at the end of that turn (benchmarks/service.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)


class TimedHttpProtocol(HttpToolsProtocol):
    """httptools' protocol with a deadline on each request's headers and one on its body."""

    header_seconds = 10.0
    body_seconds = 30.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(cast(asyncio.Transport, CoalescingTransport(transport, self.loop)))
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


class CoalescingTransport:
    """A connection's transport whose writes in one turn of the event loop reach the socket as one write, at the
    end of the turn; everything else is the transport's own. Closing sends what is waiting first; aborting drops it,
    as the transport's own abort drops its buffer."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._waiting:
            self._loop.call_soon(self.flush)
        self._waiting.append(bytes(data))

    def flush(self) -> None:
        if self._waiting:
            data = b"".join(self._waiting)
            self._waiting.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._waiting.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def timed_protocol(header_seconds: float, body_seconds: float) -> type[TimedHttpProtocol]:
    """The protocol class for uvicorn's `http` setting, with these deadlines."""
    return type("Timed", (TimedHttpProtocol,), {"header_seconds": header_seconds, "body_seconds": body_seconds})
