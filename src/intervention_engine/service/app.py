"""The HTTP service: `create_app` wires an engine, its tokens and its scheduler leader into a FastAPI app.

Built only by `compose.build_app` (from settings) or by a host that already has an engine; nothing runs
at import time. Every engine call goes through one lock (`gate.EngineGate`); event streams read the store on their
own and take no lock.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..engine import InterventionEngine
from ..history.neighbours import CouncilTable
from ..persistence.store import STORE_ERRORS, store_unavailable
from ..scheduling.leader import SchedulerLeader
from ..settings import ServiceLimits
from ..simulation import RealRecord, WorldModel
from .api import REQUEST_ID_PATTERN, council_routes, store_routes
from .auth import Authenticator, TokenRegistry
from .errors import install_error_handlers
from .events import event_routes
from .exports import SimulationProcess, export_routes
from .gate import EngineGate
from .hot_path import install_record_routes
from .limits import BodyLimit
from .report import report_routes
from .whatif import whatif_routes

API_VERSION = "1"
REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


def create_app(
    engine: InterventionEngine,
    *,
    tokens: TokenRegistry,
    leader: SchedulerLeader | None = None,
    owns_engines: bool = False,
    stopping: threading.Event | None = None,
    database: str = "",
    world: WorldModel | None = None,
    councils: CouncilTable | None = None,
    limits: ServiceLimits | None = None,
    unready: Callable[[], str | None] | None = None,
    readers: Sequence[InterventionEngine] = (),
    record: RealRecord | None = None,
    councils_csv: Path | None = None,
    telemetry: bool = False,
) -> FastAPI:
    """The API over `engine`. `leader` (if any) is started and stopped with the app; with `owns_engines`, the app
    closes `engine` when it shuts down. `stopping`, once set, ends open event streams (a server shutting down).
    `world`, a calibrated world model, plays what a what-if's facts do not say (none: only the facts given).
    `councils`, the council identity table, puts each council's statistical neighbours in `GET /report`.
    `limits` bound bodies and event streams (default: `Settings`' defaults). `unready` says why the store cannot
    be read and written, or None (`GET /ready`; default: whether the log can be read). `readers`, engines on the
    same store, answer reads without the writer's lock (closed with `engine` when the app owns them). `record`, the
    national record, is what `GET /exports/simulation` (and the other simulated tables) simulate from (none: they are
    refused); `councils_csv`, the council identity table, gives exports the ONS codes and regions registrations lack.
    `telemetry` turns on FastAPI's OpenTelemetry spans, metrics and logs (off, the default, spares every request
    looking up the process's providers: about 10 of the 160 to 170 µs the HTTP stack spends on a recorded fact,
    benchmarks/http_stack.py); off, the record endpoints' everyday requests take `hot_path.RecordRoute`."""
    limits = limits or ServiceLimits()
    gate = EngineGate(engine, readers=readers)
    stopping = stopping or threading.Event()
    simulations = SimulationProcess()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if leader is not None:
            leader.start()
        try:
            yield
        finally:
            stopping.set()
            gate.close()
            simulations.close()
            if leader is not None:
                leader.stop()
            if owns_engines:
                for owned in (engine, *readers):
                    owned.close()

    app = FastAPIOffline(  # /docs and /redoc load Swagger UI and ReDoc from the package, not a CDN
        title="intervention_engine",
        version=API_VERSION,
        summary="Event-sourced workflow engine for the DfE intervention regime in children's services",
        description=_DESCRIPTION,
        lifespan=lifespan,
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry},
    )
    app.state.gate = gate
    app.state.simulations = simulations
    app.state.leader = leader
    install_error_handlers(app)
    authenticate = Authenticator(tokens)
    scheduler_state = _scheduler_state(leader)
    councils_router = council_routes(gate, authenticate)
    app.include_router(councils_router)
    app.include_router(store_routes(gate, authenticate, scheduler_state, database, unready or _readable(engine)))
    app.include_router(event_routes(engine, authenticate, stopping, limits))
    app.include_router(whatif_routes(gate, authenticate, world))
    app.include_router(report_routes(gate, authenticate, councils))
    app.include_router(export_routes(gate, authenticate, record, councils_csv, simulations, limits.stream_send_seconds))
    if not telemetry:  # with telemetry on, FastAPI's routes answer every request, so each has its span
        install_record_routes(app, councils_router, gate, authenticate)
    _state_code_pattern(app, engine)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, tokens=tokens)
    app.add_middleware(ResponseHeaders)
    return app


def _state_code_pattern(app: FastAPI, engine: InterventionEngine) -> None:
    """The OpenAPI spec states the engine's council code pattern (configurable, so not in the fact model)."""
    spec = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None and engine.code_pattern is not None:
            code = spec()["components"]["schemas"]["CouncilRegistered"]["properties"]["code"]
            code["pattern"] = f"^(?:{engine.code_pattern.pattern})$"
        return spec()

    app.openapi = openapi  # type: ignore[method-assign]


def _readable(engine: InterventionEngine) -> Callable[[], str | None]:
    def unready() -> str | None:
        try:
            engine.last_position()
        except STORE_ERRORS as error:
            return store_unavailable(error).reason
        return None

    return unready


def _scheduler_state(leader: SchedulerLeader | None) -> Callable[[], str]:
    def state() -> str:
        if leader is None:
            return "off"
        return "leader" if leader.leading else "standby"

    return state


class ResponseHeaders:
    """Gives every request an id (the client's `X-Request-ID` if it is sensible, else a new one), echoed back; a
    405 names in `Allow` every method its path has (Starlette names those of the first route that matched the path
    only, so `OPTIONS /councils` said `Allow: GET` and left out `POST`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1").strip()
        request_id = given if REQUEST_ID.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                if message["status"] == 405:
                    headers = [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", _allowed(scope))]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _allowed(scope: Scope) -> bytes:
    """Every method the spec documents for the request's path (a 405 is rare: read each time)."""
    methods: set[str] = set()
    for template, operations in scope["app"].openapi()["paths"].items():
        if compile_path(template)[0].match(scope["path"]):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods)).encode()


_DESCRIPTION: Any = """
Record facts about councils' children's services (Ofsted reports, DfE notices and directions, commissioners,
trusts) and ask where each council stands, what falls due, what the policy in force expected and where the record
deviated from it. Every request needs an API token (`Authorization: Bearer <token>`): readers read, recorders also
record facts, admins also read the audit trail. Refusals carry a body that names the council, the fact and, for a
fact the council's state refuses, the moves that are legal. `GET /events/stream` streams every recorded event as
Server-Sent Events and resumes after `Last-Event-ID`.
"""
