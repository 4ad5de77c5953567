"""The HTML report served live (`GET /report`): the same page `intervention-engine report` writes (lifecycle
diagram, council timelines, national chart and by region, deviations; each council's statistical neighbours when
the service is given the council identity table, `INTERVENTION_ENGINE_COUNCILS_CSV`), drawn from the store as it
is now.

The data is read under the engine's lock; the drawing (matplotlib, Agg, no pyplot state, SVG in memory only, in
this process: forking a threaded server is not safe) happens outside it. Drawing every council takes a while, so
the page is kept for as long as nothing new is recorded: asked again at the same position in the log, it is
served at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from ..history.neighbours import CouncilTable
from ..reports import collect, report_page
from ..settings import Role
from .auth import Authenticator
from .errors import COUNCIL_RESPONSES
from .gate import EngineGate

KEPT_PAGES = 8  # pages kept (one per choice of councils), the least recently asked for dropped first


class PageCache:
    """Report pages by the councils asked for, each valid at the log position it was drawn at."""

    def __init__(self, size: int = KEPT_PAGES) -> None:
        self._size = size
        self._pages: OrderedDict[tuple[str, ...], tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, councils: tuple[str, ...], position: int) -> str | None:
        with self._lock:
            kept = self._pages.get(councils)
            if kept is None or kept[0] != position:
                return None
            self._pages.move_to_end(councils)
            return kept[1]

    def put(self, councils: tuple[str, ...], position: int, page: str) -> None:
        with self._lock:
            self._pages[councils] = (position, page)
            self._pages.move_to_end(councils)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)


def report_routes(gate: EngineGate, authenticate: Authenticator, councils: CouncilTable | None = None) -> APIRouter:
    router = APIRouter(tags=["report"])
    reader = Depends(authenticate.requiring(Role.reader))
    pages = PageCache()

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
        asked = tuple(council or ())
        with gate.read() as engine:
            position = engine.last_position()
            kept = pages.get(asked, position)
            if kept is not None:
                return HTMLResponse(kept)
            data = collect(engine, asked, councils)
        page = report_page(data)
        pages.put(asked, position, page)
        return HTMLResponse(page)

    return router
