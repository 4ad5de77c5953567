"""The HTML report served live (`GET /report`): the same page `intervention-engine report` writes (lifecycle
diagram, council timelines, national chart, deviations), drawn from the store as it is now.

The data is read under the engine's lock; the drawing (matplotlib, Agg, no pyplot state) happens outside it, in a
temporary folder that is deleted once the page, which inlines its charts, has been read.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from ..reports import collect, write_report
from ..settings import Role
from .auth import Authenticator
from .errors import COUNCIL_RESPONSES
from .gate import EngineGate


def report_routes(gate: EngineGate, authenticate: Authenticator) -> APIRouter:
    router = APIRouter(tags=["report"])
    reader = Depends(authenticate.requiring(Role.reader))

    @router.get(
        "/report",
        responses={200: {"content": {"text/html": {}}, "description": "one HTML page"}, **COUNCIL_RESPONSES},
        dependencies=[reader],
    )
    def report(
        council: Annotated[
            list[str] | None,
            Query(max_length=20, description="council code or name (default: every council with a DfE fact)"),
        ] = None,
    ) -> HTMLResponse:
        """The HTML report of the store as it is now: one self-contained page."""
        with gate.use() as engine:
            data = collect(engine, council or ())
        with tempfile.TemporaryDirectory(prefix="intervention-engine-report-") as folder:
            written = write_report(data, Path(folder))
            return HTMLResponse(written.index.read_text(encoding="utf-8"))

    return router
