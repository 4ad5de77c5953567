"""Domain errors to HTTP: a status code and a body that says what was wrong (DESIGN decision 11: edges translate).

Every refusal has the same shape (`ErrorBody`): a stable `error` code, the engine's own one-line `message` naming
the council and the fact, and, where the engine knows them, the council's states and the moves that were legal.
Bad input is always a 4xx: 404 unknown council, 409 a fact the council's current state refuses (or a lost race
that could not be won), 422 a malformed fact or request, 401/403 no or too weak a token.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..errors import (
    ConcurrentWriteConflict,
    CouncilAlreadyRegistered,
    CouncilNotFound,
    FactInFuture,
    FactOutOfOrder,
    InterventionError,
    InvalidFact,
    MoveNotAllowed,
    RequestIdReused,
    StoreUnavailable,
)
from ..facts import FACT_TYPES
from ..persistence.store import STORE_ERRORS, store_unavailable

RETRY_AFTER_SECONDS = 5  # what a 503 for a full house of event streams asks the client to wait


class TooManyStreams(InterventionError, RuntimeError):
    """Every event stream this process allows is open (`max_streams`); the client should try again shortly."""


class NoNationalRecord(InterventionError, RuntimeError):
    """A simulated table asked of a server that was not given the national Ofsted record to simulate from."""


class Problem(BaseModel):
    where: str
    problem: str


class ErrorBody(BaseModel):
    """Why a request was refused."""

    error: str
    message: str
    council: str | None = None
    fact: str | None = None
    states: dict[str, str] | None = None
    refused: dict[str, str] | None = None
    legal_moves: dict[str, list[str]] | None = None
    problems: list[Problem] | None = None
    did_you_mean: list[str] | None = None


# Most specific first: the first class an error is an instance of decides.
_STATUS: tuple[tuple[type[InterventionError], int, str], ...] = (
    (CouncilNotFound, status.HTTP_404_NOT_FOUND, "council_not_found"),
    (CouncilAlreadyRegistered, status.HTTP_409_CONFLICT, "council_already_registered"),
    (MoveNotAllowed, status.HTTP_409_CONFLICT, "move_not_allowed"),
    (FactOutOfOrder, status.HTTP_409_CONFLICT, "fact_out_of_order"),
    (ConcurrentWriteConflict, status.HTTP_409_CONFLICT, "concurrent_write_conflict"),
    (RequestIdReused, status.HTTP_409_CONFLICT, "request_id_reused"),
    (FactInFuture, status.HTTP_422_UNPROCESSABLE_CONTENT, "fact_in_future"),
    (InvalidFact, status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid_fact"),
    (StoreUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE, "store_unavailable"),
    (TooManyStreams, status.HTTP_503_SERVICE_UNAVAILABLE, "too_many_streams"),
    (NoNationalRecord, status.HTTP_409_CONFLICT, "no_national_record"),
)

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (401, "no API token, or one this service does not know"),
        (403, "the token's role may not do this"),
        (422, "the request or the fact is malformed, or a date is outside the range the engine accepts"),
        (503, "the store cannot be read or written (disk full, read-only, corrupt, unreachable); one-line reason"),
    )
}
COUNCIL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"model": ErrorBody, "description": "no council with this code or name"},
}
RECORD_RESPONSES: dict[int | str, dict[str, Any]] = {
    **COUNCIL_RESPONSES,
    400: {"model": ErrorBody, "description": "the body is not JSON"},
    409: {"model": ErrorBody, "description": "the council's state refuses the fact; the body names the legal moves"},
    413: {"model": ErrorBody, "description": "the request body is larger than the service accepts (max_body_bytes)"},
}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(InterventionError, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    for error in STORE_ERRORS:
        app.add_exception_handler(error, _store_error)
    app.add_exception_handler(Exception, _server_error)


def error_status(error: InterventionError) -> tuple[int, str]:
    for cls, code, name in _STATUS:
        if isinstance(error, cls):
            return code, name
    if isinstance(error, ValueError | LookupError):
        return status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid"
    return status.HTTP_500_INTERNAL_SERVER_ERROR, "internal"


def error_body(error: InterventionError) -> ErrorBody:
    _, name = error_status(error)
    body = ErrorBody(error=name, message=str(error), council=getattr(error, "council", None))
    if isinstance(error, MoveNotAllowed):
        body.fact = error.fact_type
        body.states = dict(error.states)
        body.refused = dict(error.refused)
        body.legal_moves = {region: list(moves) for region, moves in error.legal.items()}
    elif isinstance(error, ConcurrentWriteConflict):
        body.fact = error.fact_type
    elif isinstance(error, CouncilNotFound) and error.suggestions:
        body.did_you_mean = list(error.suggestions)
    return body


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InterventionError)
    code, _ = error_status(error)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if isinstance(error, TooManyStreams) else None
    return JSONResponse(error_body(error).model_dump(exclude_none=True), status_code=code, headers=headers)


async def _store_error(request: Request, error: Exception) -> JSONResponse:
    """A failure of the store: 503 with its one-line reason; the connection stays usable."""
    unavailable = store_unavailable(error)
    body = ErrorBody(error="store_unavailable", message=str(unavailable))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)


async def _server_error(request: Request, error: Exception) -> JSONResponse:
    """A bug: 500 without its details, and `Connection: close`, since the server closes the connection after it
    (a keep-alive client then opens a new one instead of failing on the next request)."""
    body = ErrorBody(error="internal", message="the service failed to answer this request; it has been logged")
    return JSONResponse(body.model_dump(exclude_none=True), status_code=500, headers={"Connection": "close"})


async def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = [Problem(where=_where(item.get("loc", ())), problem=_problem(item)) for item in error.errors()]
    message = "invalid request: " + "; ".join(f"{p.where}: {p.problem}" for p in problems)
    body = ErrorBody(error="invalid_request", message=message, problems=problems)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    names = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
    body = ErrorBody(error=names.get(error.status_code, "http_error"), message=str(error.detail))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=error.status_code, headers=error.headers)


def _problem(item: Any) -> str:
    return str(item.get("msg", "")).removeprefix("Value error, ")


def _where(location: Any) -> str:
    # pydantic names the union member it tried (the fact's type) in the location; it says nothing more there.
    parts = [str(part) for part in location if part not in FACT_TYPES]
    return ".".join(parts) or "request"
