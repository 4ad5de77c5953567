"""uvicorn's HTTP protocol (httptools) with deadlines on reading a request, which uvicorn itself does not set, and a
response's head and body sent in one write.

A client must send a request's headers within `header_seconds` of starting it (or of connecting), and its body
within `body_seconds` of the headers; otherwise the server closes the connection. Without them, 2,000 half-sent
requests without a token held 2,000 connections open for as long as their clients liked. (Between requests,
uvicorn's own keep-alive timeout closes an idle connection.)

uvicorn writes a response's status line and headers, then its body, each with a system call of its own, and the
client's side of the connection wakes for each. Here what a response writes waits for the next turn of the event
loop, or for a second write, whichever comes first: a whole response (head and body, sent together by the
application) goes out in one write, and a streamed one's head still leaves at once, before its first chunk
(`CoalescingTransport`, the transport the protocol and its responses write to). Writes keep their order, and a
connection closed by the server sends what waits first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)


class CoalescingTransport:
    """The connection's transport as a response sees it: writes wait for a second write or the loop's next turn,
    then leave in one system call."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._waiting: list[bytes] = []
        self._flush_soon: asyncio.Handle | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._waiting.append(bytes(data))
        if len(self._waiting) > 1:
            self.flush()
        elif self._flush_soon is None:
            self._flush_soon = self._loop.call_soon(self.flush)

    def flush(self) -> None:
        if self._flush_soon is not None:
            self._flush_soon.cancel()
            self._flush_soon = None
        if self._waiting:
            data, self._waiting = b"".join(self._waiting), []
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, get_extra_info, ...: the transport's own
        return getattr(self._transport, name)


class TimedHttpProtocol(HttpToolsProtocol):
    """httptools' protocol with a deadline on each request's headers and one on its body, and one write for a
    response's head and body."""

    header_seconds = 10.0
    body_seconds = 30.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport, self.loop)  # type: ignore[assignment]  # what the responses write to
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
