"""The JSON endpoints: each turns a request into one engine call and its result into a response model.

They hold no rule (DESIGN decision 11): the engine validates and decides; `errors.py` turns its refusals into
status codes. Writes record the caller's actor and the request id with every event they store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from ..dates import DATE_RANGE, WorldDate
from ..engine import CouncilStatus, RecordCommand, Recorded
from ..errors import StoreUnavailable
from ..facts import AnyFact, CouncilRegistered, Fact
from ..persistence.council_index import DueTimer
from ..projections.audit import AuditEntry
from ..projections.bitemporal import KnownOnText, parse_instant
from ..projections.national import NationalCount
from ..projections.timeline import TimelineEntry
from ..settings import Role
from .auth import Authenticator, Principal
from .errors import COUNCIL_RESPONSES, ERROR_RESPONSES, RECORD_RESPONSES, ErrorBody
from .gate import EngineGate as Gate
from .schemas import CouncilOut, Health, Ready, WhoAmI

COUNCIL_LENGTH = range(1, 201)  # characters a council in a path may have
Council = Annotated[
    str,
    Path(
        min_length=COUNCIL_LENGTH.start,
        max_length=COUNCIL_LENGTH.stop - 1,
        description="council code (DfE or ONS) or name",
    ),
]
AsOf = Annotated[
    WorldDate | None, Query(description=f"a date in the world ({DATE_RANGE}): the state at the end of that day")
]
KnownOn = Annotated[
    KnownOnText | None,
    Query(
        max_length=40,
        description="as the record stood then: a day, YYYY-MM-DD (its end, UTC), or an instant, "
        "YYYY-MM-DDTHH:MM:SS (UTC unless it names an offset); not before as_of",
    ),
]
AsOfVersion = Annotated[int | None, Query(ge=1, description="as the council's stream stood at this version")]
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:/+=-]{1,128}$"  # an Idempotency-Key or X-Request-ID the service keeps
IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=REQUEST_ID_PATTERN,
        description="a key unique to this fact among your token's requests; a retried request with the same key "
        "records nothing new (X-Request-ID is a trace id only)",
    ),
]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **RECORD_RESPONSES,
    200: {"model": Recorded, "description": "a retried request (same Idempotency-Key): what it recorded then"},
}
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
        with gate.read() as engine:
            return [CouncilOut(code=code, name=name) for code, name in engine.councils()]

    @router.post("/councils", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
    async def register(
        fact: CouncilRegistered,
        request: Request,
        response: Response,
        principal: Principal = recorder,
        idempotency_key: IdempotencyKey = None,
    ) -> Recorded:
        """Register a council (its first fact); its stream id derives from its code."""
        return await record_fact(gate, None, fact, principal, request_keys(request, idempotency_key), response, False)

    @router.post("/councils/{council}/facts", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
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
        return await record_fact(
            gate, council, fact, principal, request_keys(request, idempotency_key), response, lenient
        )

    @router.get("/councils/{council}", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def state(
        council: Council, as_of: AsOf = None, known_on: KnownOn = None, as_of_version: AsOfVersion = None
    ) -> CouncilStatus:
        """Where a council stands: stage, states, pending timers, open expectations, deviations; as the record
        stood at a time (`known_on`, not before `as_of`) or at a version of the council's stream."""
        with gate.read() as engine:
            known = parse_instant(known_on, "known_on")
            return engine.state(council, as_of=as_of, known_on=known, as_of_version=as_of_version)

    @router.get("/councils/{council}/timeline", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def timeline(council: Council, known_on: KnownOn = None, as_of_version: AsOfVersion = None) -> list[TimelineEntry]:
        """Every stored event of the council, in the order it was recorded, in words (only those recorded by
        `known_on`, or up to `as_of_version`, when given)."""
        with gate.read() as engine:
            known = parse_instant(known_on, "known_on")
            return engine.timeline(council, known_on=known, as_of_version=as_of_version)

    @router.get("/councils/{council}/expectations", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def expectations(council: Council, as_of: AsOf = None) -> list[dict[str, Any]]:
        """What the policy in force expects of the council and has not yet seen (with rule ids and deadlines)."""
        with gate.read() as engine:
            return engine.state(council, as_of=as_of).open_expectations

    @router.get("/councils/{council}/deviations", responses=COUNCIL_RESPONSES, dependencies=[reader])
    def council_deviations(council: Council, as_of: AsOf = None) -> list[dict[str, Any]]:
        """Where the council's record deviated from the policy in force."""
        with gate.read() as engine:
            return engine.deviations(council, as_of=as_of)

    @router.get("/councils/{council}/audit", responses=COUNCIL_RESPONSES, dependencies=[admin])
    def audit(council: Council) -> list[AuditEntry]:
        """Every stored event of the council with when it was recorded, by whom and under which request id."""
        with gate.read() as engine:
            return engine.audit(council)

    return router


def store_routes(
    gate: Gate,
    authenticate: Authenticator,
    scheduler: Callable[[], str],
    database: str,
    unready: Callable[[], str | None],
) -> APIRouter:
    router = APIRouter()
    reader = Depends(authenticate.requiring(Role.reader))

    @router.get("/health", tags=["service"])
    async def health(request: Request) -> Health:
        """Liveness: the process answers (no token needed, and the store is not asked). Whether this process runs
        the scheduler, how many saves it lost to a concurrent writer and decided again, and how many facts it
        recorded in how many batches and the CPU time that took, and how many transactions it saved in how long;
        which database it serves only to an admin's token."""
        caller = authenticate.caller(request.headers.get("authorization", ""))
        return Health(
            status="ok",
            database=database if caller is not None and caller.may(Role.admin) else None,
            scheduler=scheduler(),
            write_conflicts=gate.engine.write_conflicts,
            recorded_facts=gate.recorded_facts,
            recorded_batches=gate.recorded_batches,
            recorded_cpu_seconds=gate.recorded_cpu_seconds,
            saves=gate.engine.store.saves.count,
            save_seconds=gate.engine.store.saves.seconds,
            save_cpu_seconds=gate.engine.store.saves.cpu_seconds,
        )

    @router.get(
        "/ready",
        tags=["service"],
        responses={503: {"model": ErrorBody, "description": "the store cannot be read or written; why, in a line"}},
    )
    def ready() -> Ready:
        """Readiness: the store answers a read and would take a write (nothing is written; no token needed); 503
        with the reason otherwise. The latest position in the log."""
        reason = unready()
        if reason is not None:
            raise StoreUnavailable(reason)
        return Ready(status="ready", last_position=gate.engine.last_position())

    @router.get("/whoami", tags=["service"], responses=ERROR_RESPONSES)
    async def whoami(principal: Principal = reader) -> WhoAmI:
        """The actor and role of the token sent."""
        return WhoAmI(actor=principal.actor, role=principal.role.value)

    @router.get("/deviations", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def deviations(as_of: AsOf = None) -> list[dict[str, Any]]:
        """Deviations from the policy in force across every council."""
        with gate.read() as engine:
            return engine.deviations(None, as_of=as_of)

    @router.get("/timers/due", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def due(
        until: Annotated[
            WorldDate | None, Query(description="due on or before this date (default: all pending)")
        ] = None,
    ) -> list[DueTimer]:
        """Pending timers across every council, by due date."""
        with gate.read() as engine:
            return engine.due(until)

    @router.get("/national", tags=["store"], responses=ERROR_RESPONSES, dependencies=[reader])
    def national(
        on: Annotated[
            list[WorldDate] | None, Query(max_length=50, description="dates (default: 31 March of each year)")
        ] = None,
        by: Annotated[Literal["region"] | None, Query(description="one count per region and date")] = None,
    ) -> list[NationalCount]:
        """Councils in each stage and with each grade on each date (by region: each with its region, and for how
        many of its councils the DfE record is covered)."""
        with gate.read() as engine:
            return engine.national(on or None, by_region=by == "region")

    return router


def request_keys(request: Request, idempotency_key: str | None) -> tuple[str | None, str]:
    """The retry key (the caller's `Idempotency-Key`, if any) and the trace id (`X-Request-ID`, or a new one)."""
    return idempotency_key, str(request.state.request_id)


async def record_fact(
    gate: Gate,
    council: str | None,
    fact: Fact,
    principal: Principal,
    keys: tuple[str | None, str],
    response: Response,
    lenient: bool,
) -> Recorded:
    strict = False if lenient else None
    recorded = await gate.record(RecordCommand(council, fact, strict, principal.actor, *keys))
    if recorded.duplicate:
        response.status_code = status.HTTP_200_OK
    return recorded
