"""The JSON endpoints: each turns a request into one engine call and its result into a response model.

They hold no rule (DESIGN decision 11): the engine validates and decides; `errors.py` turns its refusals into
status codes. Writes record the caller's actor and the request id with every event they store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from ..engine import CouncilStatus, RecordCommand, Recorded
from ..facts import AnyFact, CouncilRegistered, Fact
from ..projections.audit import AuditEntry
from ..projections.council_index import DueTimer
from ..projections.national import NationalCount
from ..projections.timeline import TimelineEntry
from ..settings import Role
from .auth import Authenticator, Principal
from .errors import COUNCIL_RESPONSES, ERROR_RESPONSES, RECORD_RESPONSES
from .gate import EngineGate as Gate
from .schemas import CouncilOut, Health, WhoAmI

Council = Annotated[str, Path(min_length=1, max_length=200, description="council code (DfE or ONS) or name")]
AsOf = Annotated[dt.date | None, Query(description="a date in the world: the state at the end of that day")]
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:/+=-]{1,128}$"  # an Idempotency-Key or X-Request-ID the service keeps
IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=REQUEST_ID_PATTERN,
        description="a key unique to this fact; a retried request with the same key records nothing new",
    ),
]
Lenient = Annotated[
    bool, Query(description="record a fact the rulebook forbids, marked as a deviation, instead of refusing it")
]


def council_routes(gate: Gate, authenticate: Authenticator) -> APIRouter:
    router = APIRouter(tags=["councils"])
    reader = Depends(authenticate.requiring(Role.reader))
    recorder = Depends(authenticate.requiring(Role.recorder))
    admin = Depends(authenticate.requiring(Role.admin))

    @router.get("/councils", response_model=list[CouncilOut], responses=ERROR_RESPONSES, dependencies=[reader])
    def councils() -> list[CouncilOut]:
        """Every registered council, by code."""
        with gate.use() as engine:
            return [CouncilOut(code=code, name=name) for code, name in engine.councils()]

    @router.post("/councils", status_code=status.HTTP_201_CREATED, responses=RECORD_RESPONSES)
    async def register(
        fact: CouncilRegistered,
        request: Request,
        response: Response,
        principal: Principal = recorder,
        idempotency_key: IdempotencyKey = None,
    ) -> Recorded:
        """Register a council (its first fact); its stream id derives from its code."""
        return await _record(gate, None, fact, principal, _request_id(request, idempotency_key), response, False)

    @router.post("/councils/{council}/facts", status_code=status.HTTP_201_CREATED, responses=RECORD_RESPONSES)
    async def record(
        council: Council,
        fact: AnyFact,
        request: Request,
        response: Response,
        principal: Principal = recorder,
        idempotency_key: IdempotencyKey = None,
        lenient: Lenient = False,
    ) -> Recorded:
        """Record one fact; the council's timers due before its date fire first. 200 for a retried request."""
        return await _record(gate, council, fact, principal, _request_id(request, idempotency_key), response, lenient)

    @router.get("/councils/{council}", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def state(council: Council, as_of: AsOf = None) -> CouncilStatus:
        """Where a council stands: stage, states, pending timers, open expectations, deviations."""
        with gate.use() as engine:
            return engine.state(council, as_of=as_of)

    @router.get("/councils/{council}/timeline", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def timeline(council: Council) -> list[TimelineEntry]:
        """Every stored event of the council, in the order it was recorded, in words."""
        with gate.use() as engine:
            return engine.timeline(council)

    @router.get("/councils/{council}/expectations", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def expectations(council: Council, as_of: AsOf = None) -> list[dict[str, Any]]:
        """What the policy in force expects of the council and has not yet seen (with rule ids and deadlines)."""
        with gate.use() as engine:
            return engine.state(council, as_of=as_of).open_expectations

    @router.get("/councils/{council}/deviations", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def council_deviations(council: Council, as_of: AsOf = None) -> list[dict[str, Any]]:
        """Where the council's record deviated from the policy in force."""
        with gate.use() as engine:
            return engine.deviations(council, as_of=as_of)

    @router.get("/councils/{council}/audit", responses=COUNCIL_RESPONSES, dependencies=[admin])
    def audit(council: Council) -> list[AuditEntry]:
        """Every stored event of the council with when it was recorded, by whom and under which request id."""
        with gate.use() as engine:
            return engine.audit(council)

    return router


def store_routes(gate: Gate, authenticate: Authenticator, scheduler: Callable[[], str], database: str) -> APIRouter:
    router = APIRouter()
    reader = Depends(authenticate.requiring(Role.reader))

    @router.get("/health", tags=["service"])
    def health() -> Health:
        """Whether the service answers, whether this process runs the scheduler, the latest position in the log,
        how many saves this process lost to a concurrent writer and decided again, and how many facts it recorded
        in how many batches (no token needed)."""
        with gate.use() as engine:
            position, conflicts = engine.last_position(), engine.write_conflicts
        return Health(
            status="ok",
            database=database,
            scheduler=scheduler(),
            last_position=position,
            write_conflicts=conflicts,
            recorded_facts=gate.recorded_facts,
            recorded_batches=gate.recorded_batches,
        )

    @router.get("/whoami", tags=["service"], responses=ERROR_RESPONSES)
    async def whoami(principal: Principal = reader) -> WhoAmI:
        """The actor and role of the token sent."""
        return WhoAmI(actor=principal.actor, role=principal.role.value)

    @router.get("/deviations", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def deviations(as_of: AsOf = None) -> list[dict[str, Any]]:
        """Deviations from the policy in force across every council."""
        with gate.use() as engine:
            return engine.deviations(None, as_of=as_of)

    @router.get("/timers/due", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def due(
        until: Annotated[dt.date | None, Query(description="due on or before this date (default: all pending)")] = None,
    ) -> list[DueTimer]:
        """Pending timers across every council, by due date."""
        with gate.use() as engine:
            return engine.due(until)

    @router.get("/national", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def national(
        on: Annotated[
            list[dt.date] | None, Query(max_length=50, description="dates (default: 31 March of each year)")
        ] = None,
    ) -> list[NationalCount]:
        """Councils in each stage and with each grade on each date."""
        with gate.use() as engine:
            return engine.national(on or None)

    return router


def _request_id(request: Request, idempotency_key: str | None) -> str:
    return idempotency_key or str(request.state.request_id)


async def _record(
    gate: Gate,
    council: str | None,
    fact: Fact,
    principal: Principal,
    request_id: str,
    response: Response,
    lenient: bool,
) -> Recorded:
    strict = False if lenient else None
    recorded = await gate.record(RecordCommand(council, fact, strict, principal.actor, request_id))
    if recorded.duplicate:
        response.status_code = status.HTTP_200_OK
    return recorded
