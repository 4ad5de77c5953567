"""The server's transport (service/protocol.py): the writes of one turn of the event loop reach the socket as one
write, closing sends what waits first, aborting drops it; and a real server's answers arrive whole."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
from typing import Any

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.protocol import CoalescingTransport, timed_protocol
from served_app import served

from factories import registration
from http_service import RECORDER, TOKENS, auth


class Socket:
    """A stand-in for the connection's real transport: what it was asked to write and whether it is closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default


def _in_one_turn(*steps: Any) -> tuple[Socket, list[bytes]]:
    """Run `steps` (each given the transport) in one turn of a fresh event loop, then let the loop turn again; the
    socket, and what it was asked to write within the turn."""
    socket = Socket()
    within: list[bytes] = []

    async def main() -> None:
        transport = CoalescingTransport(socket, asyncio.get_running_loop())  # type: ignore[arg-type]
        for step in steps:
            step(transport)
        within.extend(socket.writes)
        await asyncio.sleep(0)

    asyncio.run(main())
    return socket, within


def test_a_responses_headers_and_body_written_in_one_turn_leave_as_one_write_after_it() -> None:
    socket, within = _in_one_turn(
        lambda t: t.write(b"HTTP/1.1 201 Created\r\n\r\n"), lambda t: t.write(memoryview(b"{}"))
    )
    assert within == []
    assert socket.writes == [b"HTTP/1.1 201 Created\r\n\r\n{}"]


def test_closing_sends_what_waits_before_closing_and_aborting_drops_it() -> None:
    closed, _ = _in_one_turn(lambda t: t.write(b"last words"), lambda t: t.close())
    aborted, _ = _in_one_turn(lambda t: t.write(b"never sent"), lambda t: t.abort())

    assert (closed.writes, closed.closed) == ([b"last words"], True)
    assert (aborted.writes, aborted.aborted) == ([], True)


def test_writes_waiting_when_the_connection_is_already_gone_are_dropped() -> None:
    def lose_connection(transport: CoalescingTransport) -> None:
        transport.write(b"too late")
        transport._transport.closed = True  # type: ignore[attr-defined]  # the peer went away meanwhile

    assert _in_one_turn(lose_connection)[0].writes == []


def test_everything_else_is_the_transports_own() -> None:
    _in_one_turn(lambda t: _check(t.get_extra_info("sockname") == ("127.0.0.1", 8000)))


def _check(holds: bool) -> None:
    assert holds


def test_a_real_server_answers_in_full_over_a_kept_alive_connection() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2018, 1, 1)))
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    headers = {**auth(RECORDER), "Content-Type": "application/json"}
    try:
        with served(create_app(engine, tokens=tokens), http=timed_protocol(10, 30)) as url:
            host, port = url.removeprefix("http://").split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            answers = []
            for code, name in (("382", "Kirklees"), ("383", "Leeds")):
                connection.request("POST", "/councils", body=json.dumps(registration(code, name)), headers=headers)
                response = connection.getresponse()
                answers.append((response.status, json.loads(response.read())["council"]))
            connection.request("GET", "/councils/383", headers=headers)
            response = connection.getresponse()
            status = (response.status, json.loads(response.read())["name"])
            connection.close()
    finally:
        engine.close()
    assert answers == [(201, "382"), (201, "383")]
    assert status == (200, "Leeds")
