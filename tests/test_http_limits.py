"""The service's limits (issue 14, defect 1): request bodies (413, judged before any parsing and, without a known
token, before the body is read), the length of each fact's fields (422), and event streams (a cap on how many are
open, a slow reader disconnected). Real uvicorn where a real connection matters (served_app.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.protocol import timed_protocol
from intervention_engine.settings import ServiceLimits
from served_app import served

from factories import inspection, registration
from http_service import READER, RECORDER, TOKENS, auth
from waiting import TIMEOUT, eventually

D = dt.date
NOTE = {"type": "note_recorded", "occurred_on": "2017-01-10", "kind": "independent_inquiry"}


def tokens() -> TokenRegistry:
    return TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    yield engine
    engine.close()


def client_for(engine: InterventionEngine, **limits: Any) -> TestClient:
    return TestClient(create_app(engine, tokens=tokens(), limits=ServiceLimits(**limits)))


def kirklees(client: TestClient) -> None:
    assert client.post("/councils", json=registration(), headers=auth(RECORDER)).status_code == 201


# ------------------------------------------------------------------------------------------------------------------
# Bodies.


def test_a_body_over_the_limit_is_413_by_its_content_length_and_records_nothing(engine: InterventionEngine) -> None:
    with client_for(engine, max_body_bytes=2048) as client:
        kirklees(client)
        before = engine.last_position()
        body = json.dumps({**NOTE, "detail": "x" * 2100})
        response = client.post(
            "/councils/382/facts", content=body, headers={**auth(RECORDER), "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json() == {
            "error": "body_too_large",
            "message": f"the request body is too large ({len(body)} bytes); this service accepts at most 2048 bytes",
        }
        assert response.headers["connection"] == "close"
        assert engine.last_position() == before


def test_a_body_of_exactly_the_limit_is_read(engine: InterventionEngine) -> None:
    with client_for(engine, max_body_bytes=2048) as client:
        kirklees(client)
        body = json.dumps({**NOTE, "detail": ""})
        body = json.dumps({**NOTE, "detail": "x" * (2048 - len(body))})
        assert len(body) == 2048
        response = client.post(
            "/councils/382/facts", content=body, headers={**auth(RECORDER), "Content-Type": "application/json"}
        )
        assert response.status_code == 201


def test_a_chunked_body_is_counted_as_it_arrives_and_refused_once_over_the_limit(engine: InterventionEngine) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        yield json.dumps(NOTE)[:-1].encode() + b', "detail": "'
        for n in range(100):
            sent.append(n)
            yield b"y" * 1000
        yield b'"}'

    with client_for(engine, max_body_bytes=4096) as client:
        kirklees(client)
        before = engine.last_position()
        response = client.post(
            "/councils/382/facts", content=chunks(), headers={**auth(RECORDER), "Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"] == "body_too_large"
        assert engine.last_position() == before


def answer_without_reading(engine: InterventionEngine, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """What the app sends for `POST /councils` with these headers, failing if it asks for a byte of the body."""
    app = create_app(engine, tokens=tokens())  # the default limit: 1 MiB
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/councils", "raw_path": b"/councils", "query_string": b"", "root_path": "",
        "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body was read")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token-of-this-service", f"Basic {RECORDER}"])
def test_a_body_without_a_known_token_is_refused_before_a_byte_of_it_is_read(
    engine: InterventionEngine, authorization: str | None
) -> None:
    """Eight 50 MB bodies without a token once took the server from 265 to 603 MB before each got 401."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"50000000")]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode()))
    sent = answer_without_reading(engine, headers)
    assert sent[0]["status"] == 401
    assert (b"www-authenticate", b"Bearer") in sent[0]["headers"]
    assert json.loads(sent[1]["body"])["error"] == "unauthorized"


def test_a_large_body_with_a_known_token_is_still_413_before_it_is_read(engine: InterventionEngine) -> None:
    sent = answer_without_reading(
        engine, [(b"content-length", b"1048577"), (b"authorization", f"Bearer {RECORDER}".encode())]
    )
    assert sent[0]["status"] == 413


# ------------------------------------------------------------------------------------------------------------------
# Fields.


@pytest.mark.parametrize(
    ("field", "most"),
    [("detail", 4000), ("note", 4000), ("source", 2000), ("kind", 200)],
)
def test_each_text_field_takes_at_most_its_length(engine: InterventionEngine, field: str, most: int) -> None:
    """A 50 MB `detail` was stored (201) and then sent whole to every reader of the event stream."""
    with client_for(engine) as client:
        kirklees(client)
        before = engine.last_position()
        too_long = client.post("/councils/382/facts", json={**NOTE, field: "z" * (most + 1)}, headers=auth(RECORDER))
        assert too_long.status_code == 422
        assert too_long.json()["problems"] == [
            {"where": f"body.{field}", "problem": f"String should have at most {most} characters"}
        ]
        assert engine.last_position() == before
        longest = client.post("/councils/382/facts", json={**NOTE, field: "z" * most}, headers=auth(RECORDER))
        assert longest.status_code == 201


def test_the_openapi_spec_states_the_field_lengths(engine: InterventionEngine) -> None:
    with client_for(engine) as client:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["NoteRecorded"]["properties"]["kind"]["maxLength"] == 200
    assert schemas["CouncilRegistered"]["properties"]["code"]["maxLength"] == 20


# ------------------------------------------------------------------------------------------------------------------
# Event streams.


def stream_headers(token: str = READER) -> dict[str, str]:
    return {**auth(token), "Accept": "text/event-stream"}


def test_one_stream_more_than_the_cap_is_503_with_retry_after_and_a_closed_one_frees_its_place(
    engine: InterventionEngine,
) -> None:
    stopping = threading.Event()
    app = create_app(engine, tokens=tokens(), limits=ServiceLimits(max_streams=2), stopping=stopping)
    with served(app, timeout_graceful_shutdown=1) as url, httpx2.Client(base_url=url, timeout=30) as http:
        with http.stream("GET", "/events/stream", headers=stream_headers()) as first:
            assert first.status_code == 200
            with http.stream("GET", "/events/stream", headers=stream_headers()) as second:
                assert second.status_code == 200
                third = http.get("/events/stream", headers=stream_headers())
                assert third.status_code == 503
                assert third.headers["retry-after"] == "5"
                assert third.json()["error"] == "too_many_streams"
                assert "2 event streams are open" in third.json()["message"]
        # both closed by the client: their places are free again
        eventually(lambda: _opens(http), "a closed stream's place to be given back")
        stopping.set()


def _opens(http: httpx2.Client) -> bool:
    with http.stream("GET", "/events/stream", params={"limit": 1}, headers=stream_headers()) as response:
        return bool(response.status_code == 200)


def test_a_reader_that_takes_nothing_is_disconnected_and_its_place_freed(engine: InterventionEngine) -> None:
    """Fifty readers of a large log once reached 4.4 GB; a stream now holds one page and closes on a stalled
    reader."""
    engine.record(None, registration())
    for n in range(400):  # about 1.7 MB of events: more than the sockets between server and client hold
        engine.record("382", {**NOTE, "occurred_on": "2017-01-10", "detail": f"{n} " + "w" * 3990})
    stopping = threading.Event()
    limits = ServiceLimits(max_streams=1, stream_send_seconds=1.0, stream_page_events=10)
    app = create_app(engine, tokens=tokens(), limits=limits, stopping=stopping)
    with served(app, timeout_graceful_shutdown=1) as url, httpx2.Client(base_url=url, timeout=30) as http:
        port = int(url.rsplit(":", 1)[1])
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", port))
        stalled.sendall(f"GET /events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {READER}\r\n\r\n".encode())
        assert stalled.recv(12) == b"HTTP/1.1 200"  # then it reads nothing more
        busy = http.get("/events/stream", headers=stream_headers())
        assert busy.status_code == 503
        eventually(lambda: _opens(http), "the stalled reader to be disconnected")
        stalled.close()
        stopping.set()


def test_the_openapi_spec_documents_the_413_and_the_503(engine: InterventionEngine) -> None:
    with client_for(engine) as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "413" in paths["/councils/{council}/facts"]["post"]["responses"]
    assert "503" in paths["/events/stream"]["get"]["responses"]


def test_inspections_are_unaffected_by_the_limits(engine: InterventionEngine) -> None:
    with client_for(engine, max_body_bytes=2048) as client:
        kirklees(client)
        response = client.post(
            "/councils/382/facts", json=inspection(D(2016, 11, 25), "inadequate"), headers=auth(RECORDER)
        )
        assert response.status_code == 201


# ------------------------------------------------------------------------------------------------------------------
# Read deadlines (uvicorn sets none of its own).


def closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(TIMEOUT)
    try:
        return connection.recv(1024) == b""
    except TimeoutError:
        return False


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /health HTTP/1.1\r\nHost: x\r\n",  # headers never finished
        b"POST /councils HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + RECORDER.encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\":",  # a body never finished
    ],
)  # fmt: skip
def test_a_half_sent_request_is_closed_by_the_server(engine: InterventionEngine, sent: bytes) -> None:
    """2,000 half-sent requests without a token stayed open for over 12 s."""
    app = create_app(engine, tokens=tokens())
    with served(app, http=timed_protocol(0.5, 0.5), timeout_graceful_shutdown=1) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as half_sent:
            half_sent.sendall(sent)
            assert closed_by_server(half_sent)
        with socket.create_connection(("127.0.0.1", port)) as whole:  # a whole request is answered as ever
            whole.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert whole.recv(12) == b"HTTP/1.1 200"
