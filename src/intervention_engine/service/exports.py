"""`GET /exports/{table}`: the store's tidy tables as CSV or Parquet, by the `Accept` header, streamed.

The rows are read under the engine's lock; the encoding (a chunk of rows at a time) streams outside it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from ..dates import DATE_RANGE, WorldDate
from ..projections.exports import FORMATS, STORE_TABLES, chunks
from ..settings import Role
from .auth import Authenticator
from .errors import ERROR_RESPONSES, ErrorBody
from .gate import EngineGate

StoreTable = StrEnum("StoreTable", {name: name for name in STORE_TABLES})  # type: ignore[misc]
_BY_MEDIA_TYPE = {media_type.split(";")[0]: name for name, media_type in FORMATS.items()}


def export_routes(gate: EngineGate, authenticate: Authenticator) -> APIRouter:
    router = APIRouter(tags=["exports"])
    reader = Depends(authenticate.requiring(Role.reader))
    content: dict[str, dict[str, str]] = {media_type.split(";")[0]: {} for media_type in FORMATS.values()}

    @router.get(
        "/exports/{table}",
        responses={
            200: {"content": content, "description": "the table, one row per observation (docs/exports.md)"},
            406: {
                "model": ErrorBody,
                "description": "Accept names neither text/csv nor application/vnd.apache.parquet",
            },
            **ERROR_RESPONSES,
        },
        response_class=StreamingResponse,
        dependencies=[reader],
    )
    def export(
        table: StoreTable,
        request: Request,
        until: Annotated[
            WorldDate | None, Query(description=f"states: the last month ({DATE_RANGE}; default today)")
        ] = None,
        on: Annotated[list[WorldDate] | None, Query(max_length=50, description="national: the dates")] = None,
    ) -> StreamingResponse:
        """A tidy table of the store in long format, with the columns of the data dictionary, in a stable order;
        CSV or Parquet by the `Accept` header (text/csv, the default, or application/vnd.apache.parquet)."""
        format = _format(request.headers.get("accept", ""))
        with gate.read() as engine:
            found = engine.export(str(table.value), until=until, days=on or None)
        extension = "csv" if format == "csv" else "parquet"
        return StreamingResponse(
            chunks(found, format),
            media_type=FORMATS[format],
            headers={"Content-Disposition": f'attachment; filename="{found.spec.name}.{extension}"'},
        )

    return router


def _format(accept: str) -> str:
    """The format the client accepts first (CSV when it accepts anything)."""
    for part in accept.split(","):
        media_type = part.split(";")[0].strip().lower()
        if media_type in _BY_MEDIA_TYPE:
            return _BY_MEDIA_TYPE[media_type]
        if media_type in ("", "*/*", "text/*"):
            return "csv"
    raise HTTPException(406, f"Accept {accept!r} names no format of this table; give text/csv or " + FORMATS["parquet"])
