"""The server's HTTP protocol sends a response's head and body in one write (service/protocol.py): uvicorn wrote
each with a system call of its own. What a response writes waits for a second write or the loop's next turn, so a
streamed response's head still leaves before its first chunk; order is kept and closing sends what waits."""

from __future__ import annotations

import asyncio
from typing import Any

from intervention_engine.service.protocol import CoalescingTransport

HEAD = b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n"


class Transport:
    """The parts of an asyncio transport the coalescer uses, recording each write (one system call each)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after closing"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else None


def test_a_whole_response_leaves_in_one_write() -> None:
    async def respond() -> Transport:
        transport = Transport()
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        coalescing.write(HEAD)
        coalescing.write(b"{}")
        assert transport.writes == [HEAD + b"{}"], "the head and body went out apart"
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return transport

    assert asyncio.run(respond()).writes == [HEAD + b"{}"]  # and nothing more once the loop has turned


def test_a_streamed_responses_head_leaves_on_the_next_turn_before_any_chunk() -> None:
    async def stream() -> list[list[bytes]]:
        transport = Transport()
        coalescing = CoalescingTransport(transport, asyncio.get_running_loop())  # type: ignore[arg-type]
        seen = []
        coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
        seen.append(list(transport.writes))  # waits for a body or the next turn
        await asyncio.sleep(0)
        seen.append(list(transport.writes))  # the head has left alone: the client sees it before any event
        coalescing.write(b"data: 1\n\n")
        coalescing.write(b"data: 2\n\n")  # a second write sends both at once
        seen.append(list(transport.writes))
        return seen

    waiting, turned, chunks = asyncio.run(stream())
    assert waiting == []
    assert turned == [b"HTTP/1.1 200 OK\r\n\r\n"]
    assert chunks == [b"HTTP/1.1 200 OK\r\n\r\n", b"data: 1\n\ndata: 2\n\n"]


def test_closing_sends_what_waits_first_and_a_closed_connection_is_not_written() -> None:
    async def close() -> tuple[Transport, Transport]:
        loop = asyncio.get_running_loop()
        closed_by_server = Transport()
        coalescing = CoalescingTransport(closed_by_server, loop)  # type: ignore[arg-type]
        coalescing.write(HEAD)
        coalescing.close()  # a response with `connection: close`
        gone = Transport()
        late = CoalescingTransport(gone, loop)  # type: ignore[arg-type]
        late.write(b"data: 1\n\n")
        gone.closed = True  # the client went away before the next turn
        await asyncio.sleep(0)
        return closed_by_server, gone

    closed_by_server, gone = asyncio.run(close())
    assert closed_by_server.writes == [HEAD]
    assert closed_by_server.closed
    assert gone.writes == []


def test_the_rest_of_the_transport_is_the_connections_own() -> None:
    async def ask() -> Any:
        return CoalescingTransport(Transport(), asyncio.get_running_loop()).get_extra_info("sockname")  # type: ignore[arg-type]

    assert asyncio.run(ask()) == ("127.0.0.1", 8000)
