"""Streamed responses that never wait for a slow client: event streams (`GET /events/stream`) and downloads
(`GET /exports/{table}`) hold something while they run (a stream slot, a reader engine), so a client that takes no
data for `send_seconds` is disconnected (logged as a slow reader), never buffered for, and what was held is given
back however the response ended."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


class BoundedStream(StreamingResponse):
    """A streamed response whose client must take data at least every `send_seconds`; `ended()` runs once it is
    over: its last chunk sent, the client gone, too slow, or the stream failed."""

    what = "stream"  # how the log names it
    send_seconds: float = 30.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, self._bounded(send, scope))
        except TimeoutError:
            return  # the connection is closed by the server, as the response never finished
        finally:
            await self.ended()

    async def ended(self) -> None:
        """Give back what the response held."""

    def _bounded(self, send: Send, scope: Scope) -> Send:
        async def bounded_send(message: Message) -> None:
            try:
                await asyncio.wait_for(send(message), self.send_seconds)
            except TimeoutError:
                client: Any = scope.get("client") or ("?", 0)
                logger.warning(
                    "%s to %s:%s closed: the client took no data for %.0f seconds (a slow reader)",
                    self.what,
                    client[0],
                    client[1],
                    self.send_seconds,
                )
                raise

        return bounded_send
