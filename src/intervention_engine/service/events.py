"""Recorded events over HTTP: a page of the log (`GET /events`) and a Server-Sent Events stream (`/events/stream`).

Each event's SSE `id` is its position in the log. A client that reconnects sends the last id it saw as
`Last-Event-ID` (browsers' EventSource does so by itself) and the stream resumes right after it, so a host that
restarts misses nothing and sees nothing twice. The stream reads the store directly, without the engine's lock,
and sends a comment line every `heartbeat` seconds while nothing happens so proxies keep the connection open.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from ..engine import InterventionEngine
from ..settings import Role
from ..subscriptions import MAX_POSITION, EventSubscription, RecordedEvent
from .auth import Authenticator
from .errors import ERROR_RESPONSES
from .schemas import EventPage

POLL_SECONDS = 0.1
HEARTBEAT_SECONDS = 15.0
_PAGE = 200

After = Annotated[
    int | None, Query(ge=0, le=MAX_POSITION, description="stream events recorded after this position (default 0)")
]
LastEventId = Annotated[
    str | None,
    Header(pattern=r"^[0-9]{1,18}$", description="the last position received; the stream resumes after it"),
]
Limit = Annotated[int | None, Query(ge=1, description="close the stream after this many events")]


def event_routes(engine: InterventionEngine, authenticate: Authenticator, stopping: threading.Event) -> APIRouter:
    router = APIRouter(tags=["events"])
    reader = Depends(authenticate.requiring(Role.reader))

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
        },
        dependencies=[reader],
    )
    async def stream(after: After = None, last_event_id: LastEventId = None, limit: Limit = None) -> StreamingResponse:
        """Every event recorded after `Last-Event-ID` (or `after`), then each new one as it is recorded."""
        start = int(last_event_id) if last_event_id is not None else after or 0
        subscription = engine.subscribe(start)
        return StreamingResponse(
            sse_messages(subscription, stopping, limit),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


async def sse_messages(
    subscription: EventSubscription,
    stopping: threading.Event,
    limit: int | None = None,
    *,
    poll: float = POLL_SECONDS,
    heartbeat: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """SSE messages for the subscription's events until `limit` is reached, the server stops or the client goes."""
    sent, idle = 0, 0.0
    try:
        yield "retry: 1000\n\n"
        while not stopping.is_set() and (limit is None or sent < limit):
            wanted = _PAGE if limit is None else min(_PAGE, limit - sent)
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


def sse_message(event: RecordedEvent) -> str:
    data = json.dumps(event.to_dict(), default=str, separators=(",", ":"))
    return f"id: {event.position}\nevent: {event.event}\ndata: {data}\n\n"
