"""The record endpoints' hot path (service/hot_path.py) answers exactly as the FastAPI routes would: the same
requests, in the same order, sent to an app with the hot path and to one without it, get the same status, body
and headers; the everyday ones are answered by the hot path and every other one by FastAPI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.service import TokenRegistry, create_app, hot_path
from intervention_engine.service.hot_path import RecordRoute

from factories import inspection, registration
from http_service import READER, RECORDER, TOKENS

D = dt.date
JSON = "application/json"
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
LIFTED = {"type": "improvement_notice_lifted", "occurred_on": "2017-02-01"}  # no notice yet: refused when strict


@contextmanager
def app_client(*, hot: bool) -> Iterator[TestClient]:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    app = create_app(engine, tokens=TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens()))  # type: ignore[arg-type]
    if not hot:
        app.router.routes[:] = [route for route in app.router.routes if not isinstance(route, RecordRoute)]
    try:
        with TestClient(app) as client:
            yield client
    finally:
        engine.close()


def request(
    path: str, body: Any, *, token: str | None = RECORDER, content_type: str | None = JSON, **more: Any
) -> dict[str, Any]:
    headers: list[tuple[str, str]] = [("x-request-id", f"trace-{abs(hash((path, str(body)))) % 10**6}")]
    if token is not None:
        headers.append(("authorization", f"Bearer {token}"))
    if content_type is not None:
        headers.append(("content-type", content_type))
    headers += more.pop("extra_headers", [])
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"method": "POST", "url": path, "content": content, "headers": headers, **more}


KEYED = [("idempotency-key", "k-1")]
RECORDER_TOO = [("authorization", f"Bearer {RECORDER}")]
TWO_KEYS = [("idempotency-key", "k-2"), ("idempotency-key", "k-3")]
# (what it is, the request, who answers: the hot path, FastAPI's route, or the body limits before either)
CORPUS: list[tuple[str, dict[str, Any], str]] = [
    ("a registration", request("/councils", registration("382", "Kirklees")), "hot"),
    ("a second council", request("/councils", registration("383", "Leeds"),
                                 extra_headers=[("idempotency-key", "reg-1")]), "hot"),
    ("a code taken: refused while recording", request("/councils", registration("382", "Other")), "hot"),
    ("a registration missing its name", request("/councils", {"type": "council_registered", "code": "384"}), "fastapi"),
    ("a fact", request("/councils/382/facts", inspection(D(2016, 11, 25), "inadequate"), extra_headers=KEYED), "hot"),
    ("the same request again", request("/councils/382/facts", inspection(D(2016, 11, 25), "inadequate"),
                                       extra_headers=KEYED), "hot"),
    ("the key again with another fact", request("/councils/382/facts", NOTICE, extra_headers=KEYED), "hot"),
    ("a fact by name, charset given", request("/councils/Kirklees/facts", NOTICE,
                                              content_type="application/json; charset=utf-8"), "hot"),
    ("a move the rulebook refuses", request("/councils/383/facts", LIFTED), "hot"),
    ("the same, lenient", request("/councils/383/facts", LIFTED, params={"lenient": "true"}), "fastapi"),
    ("an unknown council", request("/councils/999/facts", NOTICE), "hot"),
    ("a council name too long", request(f"/councils/{'x' * 201}/facts", NOTICE), "fastapi"),
    ("no token", request("/councils/382/facts", NOTICE, token=None), "limits"),
    ("a reader's token", request("/councils/382/facts", NOTICE, token=READER), "fastapi"),
    ("text, not JSON", request("/councils/382/facts", NOTICE, content_type="text/plain"), "fastapi"),
    ("no content type", request("/councils/382/facts", NOTICE, content_type=None), "fastapi"),
    ("broken JSON", request("/councils/382/facts", b'{"type": "improvement_notice_issued",'), "fastapi"),
    ("an empty body", request("/councils/382/facts", b""), "fastapi"),
    ("an unknown fact type", request("/councils/382/facts", {"type": "tea_break", "occurred_on": "2017-01-01"}),
     "fastapi"),
    ("an Idempotency-Key off the pattern", request("/councils/382/facts", NOTICE,
                                                   extra_headers=[("idempotency-key", "has space")]), "fastapi"),
    ("two Idempotency-Keys", request("/councils/382/facts", NOTICE, extra_headers=TWO_KEYS), "fastapi"),
    ("a reader's token, then a recorder's", request("/councils/382/facts", NOTICE, token=READER,
                                                    extra_headers=RECORDER_TOO), "fastapi"),
    ("text, then JSON", request("/councils/382/facts", NOTICE, content_type="text/plain",
                                extra_headers=[("content-type", JSON)]), "fastapi"),
]  # fmt: skip


def answer(response: Any) -> tuple[int, Any, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date", "server"))
    body = response.json() if response.content else None
    return response.status_code, body, headers


def test_every_request_gets_the_answer_the_fastapi_route_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    answered_here: list[str] = []
    serialize = hot_path.serialize_response

    async def counting(**kwargs: Any) -> Any:
        answered_here.append(current)
        return await serialize(**kwargs)

    monkeypatch.setattr(hot_path, "serialize_response", counting)
    statuses: list[int] = []
    with app_client(hot=True) as hot, app_client(hot=False) as plain:
        for current, sent, _ in CORPUS:
            fast, slow = answer(hot.request(**sent)), answer(plain.request(**sent))
            assert fast == slow, current
            statuses.append(fast[0])
    # Written out by hand: what each request of the corpus gets, in order.
    assert statuses == [201, 201, 409, 422, 201, 200, 409, 201, 409, 201, 404, 422, 401, 403, 422, 422, 422, 422,
                        422, 422, 409, 403, 422]  # fmt: skip
    # The hot path answered (and serialized) the everyday requests that recorded or repeated a fact; the refusals
    # raised while recording went to the app's error handlers; everything else went to FastAPI.
    assert answered_here == ["a registration", "a second council", "a fact", "the same request again",
                             "a fact by name, charset given"]  # fmt: skip


def test_the_hot_path_takes_only_the_everyday_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    handed_on: list[bool] = []
    handle = RecordRoute.handle

    async def watched(self: RecordRoute, scope: Any, receive: Any, send: Any) -> None:
        try:
            await handle(self, scope, receive, send)
        finally:
            handed_on.append(bool(scope.get("intervention_engine.hot_path.handed_on")))

    monkeypatch.setattr(RecordRoute, "handle", watched)
    with app_client(hot=True) as client:
        for what, sent, by in CORPUS:
            handed_on.clear()
            client.request(**sent)
            assert handed_on == {"hot": [False], "fastapi": [True], "limits": []}[by], what


def test_the_spec_is_the_same_with_the_hot_path() -> None:
    with app_client(hot=True) as hot, app_client(hot=False) as plain:
        assert hot.get("/openapi.json").json() == plain.get("/openapi.json").json()
        assert sum(isinstance(r, RecordRoute) for r in hot.app.router.routes) == 2  # type: ignore[attr-defined]


def test_an_app_mounted_under_a_path_answers_there_as_unmounted(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    app = create_app(engine, tokens=TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens()))  # type: ignore[arg-type]
    taken: list[str] = []
    serialize = hot_path.serialize_response

    async def counting(**kwargs: Any) -> Any:
        taken.append("hot")
        return await serialize(**kwargs)

    monkeypatch.setattr(hot_path, "serialize_response", counting)
    host = Starlette(routes=[Mount("/ie", app=app)])
    try:
        with TestClient(host) as client:
            statuses = [
                client.request(**request("/ie/councils", registration("382", "Kirklees"))).status_code,
                client.request(**request("/ie/councils/382/facts", inspection(D(2016, 11, 25), "inadequate"))).json()[
                    "stage"
                ],
                # Handed on to the FastAPI route, mounted as well:
                client.request(**request("/ie/councils/382/facts", NOTICE, token=READER)).status_code,
                client.request(**request("/ie/councils", {"type": "council_registered", "code": "384"})).status_code,
            ]
    finally:
        engine.close()
    assert statuses == [201, "inadequate", 403, 422]
    assert taken == ["hot", "hot"]


def test_the_record_routes_are_still_named_by_the_fastapi_routes() -> None:
    with app_client(hot=True) as client:
        assert client.app.url_path_for("record", council="382") == "/councils/382/facts"  # type: ignore[attr-defined]
        assert client.app.url_path_for("register") == "/councils"  # type: ignore[attr-defined]


def test_a_client_gone_before_its_body_arrived_gets_nothing_and_records_nothing() -> None:
    with app_client(hot=True) as client:
        route = next(r for r in client.app.router.routes if isinstance(r, RecordRoute))  # type: ignore[attr-defined]
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/councils", "headers": [], "path_params": {}}
        client.portal.call(route.handle, scope, receive, send)  # type: ignore[union-attr]
        assert sent == []
        assert client.get("/councils", headers={"authorization": f"Bearer {READER}"}).json() == []
