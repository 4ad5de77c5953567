"""Recorded events over HTTP: a page of the log (`GET /events`) and a Server-Sent Events stream (`/events/stream`).

Each event's SSE `id` is its position in the log. A client that reconnects sends the last id it saw as
`Last-Event-ID` (browsers' EventSource does so by itself) and the stream resumes right after it, so a host that
restarts misses nothing and sees nothing twice. The stream reads the store directly, without the engine's lock,
and sends a comment line every `heartbeat` seconds while nothing happens so proxies keep the connection open.

Each stream is bounded (`ServiceLimits`): it reads `stream_page_events` events at a time and sends the next only
when the client has taken the last (the server's socket buffer is the only other copy), a client that takes
nothing for `stream_send_seconds` is disconnected (a slow reader, logged with the reason), and at most
`max_streams` streams are open at once in a process: one more is answered 503 with `Retry-After`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from ..engine import InterventionEngine
from ..projections.subscriptions import MAX_POSITION, EventSubscription, RecordedEvent
from ..settings import Role, ServiceLimits
from .auth import Authenticator
from .errors import ERROR_RESPONSES, RETRY_AFTER_SECONDS, ErrorBody, TooManyStreams
from .schemas import EventPage
from .streams import BoundedStream

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0

After = Annotated[
    int | None, Query(ge=0, le=MAX_POSITION, description="stream events recorded after this position (default 0)")
]
LastEventId = Annotated[
    str | None,
    Header(pattern=r"^[0-9]{1,18}$", description="the last position received; the stream resumes after it"),
]
Limit = Annotated[int | None, Query(ge=1, description="close the stream after this many events")]


def event_routes(
    engine: InterventionEngine, authenticate: Authenticator, stopping: threading.Event, limits: ServiceLimits
) -> APIRouter:
    router = APIRouter(tags=["events"])
    reader = Depends(authenticate.requiring(Role.reader))
    open_streams = StreamSlots(limits.max_streams)

    @router.get("/events", responses=ERROR_RESPONSES, dependencies=[reader])
    def events(
        after: Annotated[int, Query(ge=0, le=MAX_POSITION, description="events recorded after this position")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> EventPage:
        """A page of recorded events after a position, oldest first; ask again with `last_position`."""
        page = engine.events_after(after, limit)
        last = page[-1].position if page else after
        return EventPage(events=list(page), last_position=last)

    @router.get(
        "/events/stream",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "one SSE message per recorded event"},
            **ERROR_RESPONSES,
            503: {
                "model": ErrorBody,
                "description": "every event stream this process allows is open (max_streams), or the store fails",
            },
        },
        dependencies=[reader],
    )
    async def stream(after: After = None, last_event_id: LastEventId = None, limit: Limit = None) -> StreamingResponse:
        """Every event recorded after `Last-Event-ID` (or `after`), then each new one as it is recorded."""
        start = int(last_event_id) if last_event_id is not None else after or 0
        if not open_streams.take():
            raise TooManyStreams(
                f"{limits.max_streams} event streams are open, as many as this service allows (max_streams); "
                f"try again in {RETRY_AFTER_SECONDS} seconds"
            )
        try:
            subscription = engine.subscribe(start)
        except BaseException:
            open_streams.give_back()
            raise
        return EventStream(
            sse_messages(subscription, stopping, limit, page=limits.stream_page_events),
            slots=open_streams,
            send_seconds=limits.stream_send_seconds,
        )

    return router


async def sse_messages(
    subscription: EventSubscription,
    stopping: threading.Event,
    limit: int | None = None,
    *,
    poll: float = POLL_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
    page: int = 100,
) -> AsyncIterator[str]:
    """SSE messages for the subscription's events until `limit` is reached, the server stops or the client goes."""
    sent, idle = 0, 0.0
    try:
        yield "retry: 1000\n\n"
        while not stopping.is_set() and (limit is None or sent < limit):
            wanted = page if limit is None else min(page, limit - sent)
            batch = await to_thread.run_sync(subscription.poll, wanted)
            for event in batch:
                yield sse_message(event)
            sent += len(batch)
            if batch:
                idle = 0.0
                continue
            await asyncio.sleep(poll)
            idle += poll
            if idle >= heartbeat:
                idle = 0.0
                yield ": keep-alive\n\n"
    finally:
        subscription.stop()


class StreamSlots:
    """How many event streams are open, of at most `size` (the event loop's thread only: no lock needed)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.open = 0

    def take(self) -> bool:
        if self.open >= self.size:
            return False
        self.open += 1
        return True

    def give_back(self) -> None:
        self.open -= 1


class EventStream(BoundedStream):
    """An SSE response that holds one of the stream slots until it ends, and ends when its client takes nothing
    for `send_seconds` (a slow reader is disconnected, never buffered for)."""

    what = "event stream"

    def __init__(self, messages: AsyncIterator[str], *, slots: StreamSlots, send_seconds: float) -> None:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        super().__init__(messages, media_type="text/event-stream", headers=headers)
        self.slots = slots
        self.send_seconds = send_seconds

    async def ended(self) -> None:
        self.slots.give_back()
        await self._close_messages()

    async def _close_messages(self) -> None:
        close = getattr(self.body_iterator, "aclose", None)
        if close is not None:
            await close()


def sse_message(event: RecordedEvent) -> str:
    data = json.dumps(event.to_dict(), default=str, separators=(",", ":"))
    return f"id: {event.position}\nevent: {event.event}\ndata: {data}\n\n"
