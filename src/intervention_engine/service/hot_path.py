"""`POST /councils` and `POST /councils/{council}/facts`, the service's hot path, answered without FastAPI's
per-request dependency solving when the request is of the everyday kind; every other request goes to the FastAPI
route unchanged.

FastAPI resolved the record endpoint's parameters (the token's dependency, the security scheme under it, the
Idempotency-Key header, the lenient query) anew for every request: about half of the 210 µs its stack spent on a
recorded fact (benchmarks/http_stack.py). `RecordRoute` stands in front of each FastAPI route and answers a request
itself only when it can say in advance what the route would do with it:
- a bearer token known to the service with the recorder role or above;
- `Content-Type: application/json`, and no query string (so not `lenient`);
- each of Authorization, Content-Type and Idempotency-Key at most once, the key matching the documented pattern;
- a council in the path of 1 to 200 characters;
- a body the FastAPI route's own body field accepts (`route.body_field`, the very validation FastAPI runs).
Then it records the fact as the route does (`api.record_fact`), and answers with the route's own serializer and status
(`serialize_response` with the route's response field: 201, or 200 for a retried request). A refusal raised while
recording goes to the app's error handlers, as the route's would. Anything else, before anything is recorded, is
handed to the FastAPI route with the body replayed, so every error (401, 403, 422 and the rest) is FastAPI's own.
`tests/test_http_hot_path.py` sends the same requests with and without this route and compares the answers.

With telemetry on (`Settings.telemetry`) the FastAPI routes answer everything, so every request has its span.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute, serialize_response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from ..settings import Role
from .api import COUNCIL_LENGTH, REQUEST_ID_PATTERN, record_fact, request_keys
from .auth import Authenticator
from .gate import EngineGate
from .limits import replaying

RECORD_PATHS = frozenset({"/councils", "/councils/{council}/facts"})
_HANDED_ON = "intervention_engine.hot_path.handed_on"  # in the scope of a request handed to the FastAPI route
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


class RecordRoute(BaseRoute):
    """Answers the everyday requests of one FastAPI record route (see the module); hands on the rest."""

    def __init__(self, route: APIRoute, router: APIRouter, gate: EngineGate, authenticate: Authenticator) -> None:
        self.route = route
        self.router = router  # the app's own router, which hands the request on to `route` (even when mounted)
        self.gate = gate
        self.authenticate = authenticate

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)  # the FastAPI route, later in the list, names the path

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get(_HANDED_ON):
            return Match.NONE, {}
        found = self.route.path_regex.match(_route_path(scope))
        if found is None:
            return Match.NONE, {}
        return Match.FULL, {"path_params": found.groupdict()}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before its body arrived
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        command = self._command(scope, bytes(body))
        if command is None:  # not an everyday request: the FastAPI route answers it, from the start
            scope[_HANDED_ON] = True
            await self.router.app(scope, replaying(bytes(body), receive), send)
            return
        council, fact, principal, key = command
        response = Response(status_code=self.route.status_code or 201)
        recorded = await record_fact(
            self.gate, council, fact, principal, request_keys(Request(scope), key), response, False
        )
        content = await serialize_response(field=self.route.response_field, response_content=recorded, dump_json=True)
        answer = Response(content, status_code=response.status_code, media_type="application/json")
        await answer(scope, receive, send)

    def _command(self, scope: Scope, body: bytes) -> tuple[str | None, Any, Any, str | None] | None:
        """The council, fact, caller and Idempotency-Key of an everyday request; None for any other."""
        if scope.get("query_string") or not body:
            return None
        given: dict[bytes, list[bytes]] = {b"authorization": [], b"content-type": [], b"idempotency-key": []}
        for name, value in scope["headers"]:
            if name in given:
                given[name].append(value)
        if any(len(values) > 1 for values in given.values()):  # which one counts is FastAPI's to say
            return None
        if not given[b"authorization"] or not given[b"content-type"]:
            return None
        authorization, content_type = given[b"authorization"][0], given[b"content-type"][0]
        key = given[b"idempotency-key"][0] if given[b"idempotency-key"] else None
        if content_type.split(b";", 1)[0].strip().lower() != b"application/json":
            return None
        principal = self.authenticate.caller(authorization.decode("latin-1"))
        if principal is None or not principal.may(Role.recorder):
            return None
        idempotency_key = None if key is None else key.decode("latin-1")
        if idempotency_key is not None and not _REQUEST_ID.match(idempotency_key):
            return None
        council = scope["path_params"].get("council")
        if council is not None and len(council) not in COUNCIL_LENGTH:
            return None
        fact = self._fact(body)
        return None if fact is None else (council, fact, principal, idempotency_key)

    def _fact(self, body: bytes) -> Any:
        """The body as the route's body field validates it; None if it is not JSON or the field refuses it."""
        field = self.route.body_field
        if field is None:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        fact, errors = field.validate(data, {}, loc=("body",))
        return None if errors else fact


def _route_path(scope: Scope) -> str:
    """The request's path within the app (less the path the app is mounted at), as Starlette's routes match it."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def install_record_routes(app: FastAPI, router: APIRouter, gate: EngineGate, authenticate: Authenticator) -> None:
    """Put a `RecordRoute` before the app's routes for each record route of `router` (already included in `app`)."""
    for route in _record_routes(router.routes):
        app.router.routes.insert(0, RecordRoute(route, app.router, gate, authenticate))


def _record_routes(routes: Iterable[Any]) -> list[APIRoute]:
    return [r for r in routes if isinstance(r, APIRoute) and r.path in RECORD_PATHS and r.methods == {"POST"}]
