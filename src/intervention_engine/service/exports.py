"""`GET /exports/{table}`: the tidy tables as CSV or Parquet, by the `Accept` header, streamed a chunk at a time.

Tables of the store are read row by row from a reader engine (`EngineGate.read`), borrowed for the stream's life
and given back when the last chunk is sent or the client goes away; the writer's lock is never taken. The first row
is read before the response starts, so a store that cannot be read answers 503 as every read does; a store that
fails further on cuts the download short (its 200 is already sent). The
in-memory store has no reader engines (no second engine can see its data): there the rows are read whole under
the lock, and only the encoding streams, so a slow client never holds the lock.

The simulated tables (`simulation`, `simulation_councils`, `backtest`) are computed by `simulation.simulated`, as
`intervention-engine export` computes them, from the national record the server was given
(`INTERVENTION_ENGINE_OFSTED_CSV`, with `INTERVENTION_ENGINE_COUNCILS_CSV` for ONS codes and regions), on the
request's worker thread (never the event loop, never the writer's lock) and their runs in a process of their own
(`SimulationProcess`), within the bounds below.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import itertools
import multiprocessing
import signal
import threading
from collections.abc import Callable, Generator, Iterable
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from ..dates import DATE_RANGE, WorldDate
from ..policies.registry import DFE_REGIMES
from ..projections.exports import FORMATS, STORE_TABLES, TABLES, ExportTable, InvalidExport, chunks
from ..settings import Role
from ..simulation.backtest import BACKTEST_TO
from .auth import Authenticator
from .errors import ERROR_RESPONSES, ErrorBody, NoNationalRecord
from .gate import EngineGate
from .streams import BoundedStream
from .whatif import MAX_YEARS

if TYPE_CHECKING:
    from ..simulation import RealRecord
    from ..simulation.simulated import SimulatedExport

# Bounds on the work of one request for a simulated table (the command line has none: it runs on the caller's
# machine). A run-year is one Monte Carlo run of every council for one year (about 1.6 ms of one core; 12 ms
# for `simulation_councils` with its rows: README, Tidy exports).
MAX_RUNS = 1000
MAX_ORIGINS = 10  # backtest origins (`from`)
MAX_RUN_YEARS = 10_000  # runs x years x variants; backtest: runs x years from each origin to `to`, summed
MAX_COUNCIL_RUN_YEARS = 1_000  # the same for `simulation_councils`, which writes a row per council and month

Table = StrEnum("Table", {name: name for name in TABLES})  # type: ignore[misc]
DfePolicy = StrEnum("DfePolicy", {policy.version: policy.version for policy in DFE_REGIMES})  # type: ignore[misc]
_BY_MEDIA_TYPE = {media_type.split(";")[0]: name for name, media_type in FORMATS.items()}


def export_routes(
    gate: EngineGate,
    authenticate: Authenticator,
    record: RealRecord | None = None,
    councils_csv: Path | None = None,
    simulations: SimulationProcess | None = None,
    send_seconds: float = 30.0,
) -> APIRouter:
    """The export route over `gate`'s store (a download whose client takes nothing for `send_seconds` is closed,
    and its reader engine given back); the simulated tables from `record` (none: refused with a 409), their
    runs played by `simulations` (default: a process of their own, started when first needed; close it with the
    app), and ONS codes and regions that registrations lack from the council identity table `councils_csv`."""
    simulations = simulations or SimulationProcess()
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
            409: {
                "model": ErrorBody,
                "description": "a simulated table, and the server has no national Ofsted record "
                "(INTERVENTION_ENGINE_OFSTED_CSV)",
            },
            **ERROR_RESPONSES,
        },
        response_class=StreamingResponse,
        dependencies=[reader],
        description="A tidy table in long format, with the columns of the data dictionary (docs/exports.md), in a "
        "stable order; CSV or Parquet by the `Accept` header (text/csv, the default, or "
        "application/vnd.apache.parquet). The simulated tables are computed from the server's national record "
        f"(INTERVENTION_ENGINE_OFSTED_CSV), at most {MAX_RUNS} runs, {MAX_YEARS} years, {MAX_ORIGINS} origins and "
        f"{MAX_RUN_YEARS:,} run-years a request ({MAX_COUNCIL_RUN_YEARS:,} for simulation_councils).",
    )
    def export(  # a plain function: FastAPI runs it on a worker thread, so a simulation never blocks the loop
        table: Table,
        request: Request,
        until: Annotated[
            WorldDate | None, Query(description=f"states: the last month ({DATE_RANGE}; default today)")
        ] = None,
        on: Annotated[list[WorldDate] | None, Query(max_length=50, description="national: the dates")] = None,
        from_dates: Annotated[
            list[WorldDate] | None,
            Query(
                alias="from",
                max_length=MAX_ORIGINS,
                description="simulation(_councils): from the real state on this day (default 2018-01-01); "
                "backtest: an origin (repeatable; default 2018-01-01, 2019-01-01 and 2020-01-01)",
            ),
        ] = None,
        to: Annotated[WorldDate, Query(description="backtest: to the end of this day")] = BACKTEST_TO,
        years: Annotated[int, Query(ge=1, le=MAX_YEARS, description="simulation(_councils): years to project")] = 10,
        runs: Annotated[int, Query(ge=1, le=MAX_RUNS, description="simulated tables: Monte Carlo runs")] = 100,
        seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="simulated tables: master seed")] = 0,
        policy: Annotated[
            list[DfePolicy] | None,
            Query(
                max_length=len(DFE_REGIMES),
                description="simulation(_councils): a DfE regime as a variant (repeatable; default: in force)",
            ),
        ] = None,
    ) -> StreamingResponse:
        format = _format(request.headers.get("accept", ""))
        name = str(table.value)
        if name in STORE_TABLES:
            found, release = _store_table(gate, name, until, on, councils_csv)
        else:
            from ..simulation.simulated import SimulatedExport

            asked = SimulatedExport(origins=from_dates or (), to_date=to, years=years, runs=runs, seed=seed,
                                    policies=[str(p.value) for p in policy or ()] or [None])  # fmt: skip
            found = _simulated_table(name, record, asked, councils_csv, simulations)
            # simulation_councils plays its runs as its rows are taken: closing them cancels the runs still queued
            release = found.rows.close if isinstance(found.rows, Generator) else _nothing
        extension = "csv" if format == "csv" else "parquet"
        return LeasedStream(
            chunks(found, format),
            release,
            media_type=FORMATS[format],
            headers={"Content-Disposition": f'attachment; filename="{found.spec.name}.{extension}"'},
            send_seconds=send_seconds,
        )

    return router


def _store_table(
    gate: EngineGate, name: str, until: dt.date | None, on: list[dt.date] | None, councils_csv: Path | None
) -> tuple[ExportTable, Callable[[], None]]:
    """The table's rows, read as they are taken from a reader engine lent until `release` is called; without
    reader engines (the in-memory store) read whole under the writer's lock, which is given back at once."""
    if not gate.readers:
        with gate.read() as engine:
            return engine.export(name, until=until, days=on or None, councils_csv=councils_csv), _nothing
    lease = ExitStack()
    engine = lease.enter_context(gate.read())
    try:
        found = engine.export(name, until=until, days=on or None, councils_csv=councils_csv, streamed=True)
        rows = iter(found.rows)
        if isinstance(rows, Generator):
            lease.callback(rows.close)  # first (last in, first out): no row is read once the reader is given back
        # The first row is read before the response starts: a store that cannot be read answers 503 in one line, as
        # every other read does. A failure further on can only cut the download short (the 200 is sent).
        first = next(rows, None)
    except BaseException:
        lease.close()
        raise
    ahead = rows if first is None else itertools.chain([first], rows)
    return ExportTable(found.spec, ahead), lease.close


def _simulated_table(
    name: str,
    record: RealRecord | None,
    asked: SimulatedExport,
    councils_csv: Path | None,
    simulations: SimulationProcess,
) -> ExportTable:
    from ..simulation.simulated import simulated_table

    if record is None:
        raise NoNationalRecord(
            f"table {name!r} is simulated from the national record: this server has none (start it with "
            "INTERVENTION_ENGINE_OFSTED_CSV naming the national Ofsted CSV)"
        )
    limit = MAX_COUNCIL_RUN_YEARS if name == "simulation_councils" else MAX_RUN_YEARS
    if (work := _run_years(name, asked)) > limit:
        product = "runs x years from each origin to `to`, summed" if name == "backtest" else "runs x years x variants"
        raise InvalidExport(
            f"table {name!r}: {work:,} run-years asked ({product}); this server plays at most {limit:,} a request"
        )
    # The record is replayed to the start on this worker thread; the runs are played by the service's simulation
    # process (`simulation_councils`: as its rows are streamed).
    return simulated_table(name, record, asked, simulations.executor(), councils_csv)


class SimulationProcess:
    """The process that plays the Monte Carlo runs of the simulated exports: one for the service, started when a
    simulated table is first asked for. Its runs hold neither the event loop nor the interpreter lock the writer
    needs, and requests that come together queue for it, so simulations take one core at most. Spawned, not
    forked: the service's threads hold locks a forked child would inherit held."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        return self._pool is not None

    def executor(self) -> cf.Executor:
        """The process's pool: started when first needed, and started again if its process died (killed, out of
        memory), so one crash does not refuse every later simulation. Refused once the service has stopped it."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the service is stopping: its simulation process is closed")
            if self._pool is not None and getattr(self._pool, "_broken", False):  # the pool saw its process die
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            if self._pool is None:
                self._pool = cf.ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
                )
            return self._pool

    def close(self) -> None:
        """Stop the process (the runs queued are dropped, the one playing is finished); no other is started."""
        with self._lock:
            self._closed = True
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


def _ignore_interrupts() -> None:
    """In the simulation process: Ctrl-C (sent to the terminal's whole process group) is the service's to handle;
    the service then stops this process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_years(name: str, asked: SimulatedExport) -> int:
    """The Monte Carlo run-years a simulated table plays."""
    from ..simulation.backtest import ORIGINS

    if name == "backtest":
        return asked.runs * sum(max(0, asked.to_date.year - day.year + 1) for day in asked.origins or ORIGINS)
    return asked.runs * asked.years * len(asked.policies)


def _nothing() -> None:
    """Nothing to give back."""


class LeasedStream(BoundedStream):
    """A streamed body whose rows hold something lent (a reader engine): `release` is called once the response
    is over, whether its last chunk was sent, the client went away mid-stream, took no data for `send_seconds`
    (a slow reader: disconnected, as event streams are) or the stream failed; the body's generator is closed first
    (Starlette waits for the chunk being made on a worker thread before it returns)."""

    what = "download"

    def __init__(
        self,
        content: Iterable[bytes],
        release: Callable[[], None],
        *,
        media_type: str,
        headers: dict[str, str],
        send_seconds: float,
    ) -> None:
        self.content = iter(content)
        self.release = release
        self.send_seconds = send_seconds
        super().__init__(self.content, media_type=media_type, headers=headers)

    async def ended(self) -> None:
        try:
            if isinstance(self.content, Generator):
                self.content.close()
        finally:
            self.release()


def _format(accept: str) -> str:
    """The format the client accepts first (CSV when it accepts anything)."""
    for part in accept.split(","):
        media_type = part.split(";")[0].strip().lower()
        if media_type in _BY_MEDIA_TYPE:
            return _BY_MEDIA_TYPE[media_type]
        if media_type in ("", "*/*", "text/*"):
            return "csv"
    raise HTTPException(406, f"Accept {accept!r} names no format of this table; give text/csv or " + FORMATS["parquet"])
