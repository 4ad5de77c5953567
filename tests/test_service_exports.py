"""`GET /exports/{table}` over real HTTP (uvicorn on a thread, served_app.py): the simulated tables from the server's
national record, the same rows as `intervention-engine export` for the same seed (issue 13 item 1); the refusals;
and the store's tables streamed from a reader engine that is given back when the stream ends or the client goes
away."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pandas as pd
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from intervention_engine.bootstrap import build_engine
from intervention_engine.cli import app as cli_app
from intervention_engine.clock import VirtualClock
from intervention_engine.engine import InterventionEngine
from intervention_engine.projections.exports import store_tables
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.compose import build_app
from intervention_engine.settings import Settings
from intervention_engine.simulation import RealRecord, WorldModel, simulated
from intervention_engine.simulation.council_runs import council_stages
from intervention_engine.simulation.start import starts_from
from served_app import served

from factories import inspection, registration
from http_service import READER, RECORDER, TOKENS, auth
from shared_data import DATA, OFSTED_CSV
from waiting import eventually

D = dt.date
COUNCILS_CSV = DATA / "councils.csv"
PARQUET = {**auth(READER), "Accept": "application/vnd.apache.parquet"}
CSV = {**auth(READER), "Accept": "text/csv"}


def tokens() -> TokenRegistry:
    return TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]


def cli(*args: str) -> None:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def record() -> RealRecord:
    return RealRecord.load(OFSTED_CSV)


@pytest.fixture(scope="module")
def simulating(record: RealRecord) -> Iterator[str]:
    """A service given the national record (as INTERVENTION_ENGINE_OFSTED_CSV and _COUNCILS_CSV give it)."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2026, 1, 1)))
    with served(create_app(engine, tokens=tokens(), record=record, councils_csv=COUNCILS_CSV)) as url:
        yield url
    engine.close()


def get(url: str, table: str, params: dict[str, Any], headers: dict[str, str]) -> httpx2.Response:
    return httpx2.get(f"{url}/exports/{table}", params=params, headers=headers, timeout=300)


# ----------------------------------------------------------------------------------------------------------------
# The simulated tables: the command line's rows, over HTTP.


@pytest.mark.slow
def test_simulation_over_http_is_the_command_lines_table_for_the_same_seed(simulating: str, tmp_path: Path) -> None:
    params = {"from": "2025-01-01", "years": 1, "runs": 3, "seed": 7, "policy": ["dfe-2016-07", "dfe-2022"]}
    response = get(simulating, "simulation", params, PARQUET)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    assert response.headers["content-disposition"] == 'attachment; filename="simulation.parquet"'
    table = pq.read_table(io.BytesIO(response.content))
    assert [(field.name, str(field.type)) for field in table.schema] == [
        ("variant", "string"), ("run", "int64"), ("month", "date32[day]"), ("stage", "string"), ("councils", "int64"),
    ]  # fmt: skip
    assert table.num_rows == 2 * 3 * 13 * 13  # variants x runs x (the first day and 12 months on) x stages
    frame = table.to_pandas()
    assert sorted(set(frame["variant"])) == ["dfe-2016-07", "dfe-2022"]
    assert sorted(set(frame["run"])) == [0, 1, 2]
    months = sorted(set(frame["month"]))
    assert (months[0], months[1], months[-1]) == (D(2025, 1, 1), D(2025, 2, 1), D(2026, 1, 1))  # monthly, same day
    assert set(frame.groupby(["variant", "run", "month"])["councils"].sum()) == {153}  # every council, once

    out = tmp_path / "simulation.parquet"
    cli("export", "simulation", "--format", "parquet", "--out", str(out), "--ofsted-csv", str(OFSTED_CSV),
        "--from", "2025-01-01", "--years", "1", "--runs", "3", "--seed", "7", "--policy", "dfe-2016-07",
        "--policy", "dfe-2022", "--workers", "0")  # fmt: skip
    assert table.equals(pq.read_table(out))


@pytest.mark.slow
def test_simulation_councils_over_http_is_the_command_lines_csv_byte_for_byte(simulating: str, tmp_path: Path) -> None:
    params = {"from": "2020-03-31", "years": 1, "runs": 2, "seed": 3}
    response = get(simulating, "simulation_councils", params, CSV)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbfvariant,run,month,council,ons_code,council_name,region,stage\r\n")
    frame = pd.read_csv(io.BytesIO(response.content), dtype={"council": str}, parse_dates=["month"])
    assert len(frame) == 1 * 2 * 13 * 153  # the regimes in force, runs, months, councils
    assert set(frame["variant"]) == {"in force"}
    assert str(frame["month"].dtype).startswith("datetime64")
    assert str(frame["run"].dtype) == "int64"
    kirklees = frame[frame["council"] == "382"].iloc[0]
    assert tuple(kirklees[["ons_code", "council_name", "region"]]) == ("E08000034", "Kirklees",
                                                                       "Yorkshire and the Humber")  # fmt: skip

    out = tmp_path / "councils.csv"
    cli("export", "simulation_councils", "--out", str(out), "--ofsted-csv", str(OFSTED_CSV), "--from", "2020-03-31",
        "--years", "1", "--runs", "2", "--seed", "3", "--councils", str(COUNCILS_CSV), "--workers", "0")  # fmt: skip
    assert response.content == out.read_bytes()


@pytest.mark.slow
def test_backtest_over_http_is_the_command_lines_table(simulating: str, tmp_path: Path) -> None:
    params = {"from": "2018-01-01", "to": "2019-12-31", "runs": 5}
    response = get(simulating, "backtest", params, PARQUET)
    assert response.status_code == 200, response.text
    table = pq.read_table(io.BytesIO(response.content))
    score = ["p5", "p25", "p50", "p75", "p95"]
    assert [(field.name, str(field.type)) for field in table.schema] == [
        ("origin", "date32[day]"), ("quantity", "string"), ("year", "int64"), ("record", "int64"),
        ("record_complete", "bool"), ("dfe_record_covered", "int64"), ("councils", "int64"),
        *((name, "double") for name in score), ("inside_50", "bool"), ("inside_90", "bool"),
        *((name, "double") for name in ("crps", "crps_persistence", "crps_climatology", "interval_score_90")),
        ("runs", "int64"), ("seed", "int64"),
    ]  # fmt: skip
    frame = table.to_pandas()
    assert len(frame) == 4 * 2  # four counts on 31 March 2018 and 2019
    assert set(frame["origin"]) == {D(2018, 1, 1)}
    assert (list(set(frame["runs"])), list(set(frame["seed"])), list(set(frame["councils"]))) == ([5], [0], [153])

    out = tmp_path / "backtest.parquet"
    cli("export", "backtest", "--format", "parquet", "--out", str(out), "--ofsted-csv", str(OFSTED_CSV),
        "--from", "2018-01-01", "--to", "2019-12-31", "--runs", "5", "--workers", "0")  # fmt: skip
    assert table.equals(pq.read_table(out))


@pytest.mark.slow
def test_a_server_configured_with_the_ofsted_csv_serves_the_simulated_tables(tmp_path: Path) -> None:
    settings = Settings(backend="memory", ofsted_csv=OFSTED_CSV, councils_csv=COUNCILS_CSV,
                        tokens=TOKENS)  # type: ignore[arg-type]  # fmt: skip
    with served(build_app(settings, scheduler=False)) as url:
        response = get(url, "backtest", {"from": "2023-01-01", "to": "2024-12-31", "runs": 2}, CSV)
    assert response.status_code == 200, response.text
    frame = pd.read_csv(io.BytesIO(response.content))
    assert sorted(set(frame["year"])) == [2023, 2024]
    assert len(frame) == 4 * 2


@pytest.mark.slow
def test_a_server_given_the_dfe_register_simulates_from_it_as_the_command_line_does(tmp_path: Path) -> None:
    register = DATA / "dfe_interventions.csv"
    settings = Settings(backend="memory", ofsted_csv=OFSTED_CSV, dfe_register=register,
                        tokens=TOKENS)  # type: ignore[arg-type]  # fmt: skip
    params = {"from": "2018-01-01", "to": "2018-12-31", "runs": 2}
    with served(build_app(settings, scheduler=False)) as url:
        response = get(url, "backtest", params, PARQUET)
    assert response.status_code == 200, response.text
    table = pq.read_table(io.BytesIO(response.content))
    out = tmp_path / "backtest.parquet"
    cli("export", "backtest", "--format", "parquet", "--out", str(out), "--ofsted-csv", str(OFSTED_CSV),
        "--dfe-register", str(register), "--from", "2018-01-01", "--to", "2018-12-31", "--runs", "2",
        "--workers", "0")  # fmt: skip
    assert table.equals(pq.read_table(out))
    notices = table.to_pandas().set_index("quantity").loc["improvement_notice"]
    # The Ofsted CSV alone holds no DfE fact; the register's notices are on record on 31 March 2018.
    assert notices["record"] > 0


def test_a_server_given_the_dfe_register_without_the_ofsted_csv_refuses_to_start() -> None:
    from intervention_engine.errors import ConfigurationError

    settings = Settings(backend="memory", dfe_register=DATA / "dfe_interventions.csv")
    with pytest.raises(ConfigurationError) as refused:
        build_app(settings, scheduler=False)
    assert str(refused.value) == (
        "the DfE register (INTERVENTION_ENGINE_DFE_REGISTER) is read with the national Ofsted CSV: set "
        "INTERVENTION_ENGINE_OFSTED_CSV too"
    )


def test_the_runs_are_played_by_the_services_own_process_which_stops_with_the_service(
    record: RealRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not on the request's thread (whose interpreter lock the writer and the event loop share): a process."""
    executors: list[cf.Executor] = []
    simulate = simulated.simulate

    def spied(*args: Any, **kwargs: Any) -> Any:
        executors.append(args[5])  # simulate(start, years, runs, seed, policy, executor, ...)
        return simulate(*args, **kwargs)

    monkeypatch.setattr(simulated, "simulate", spied)
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2026, 1, 1)))
    app = create_app(engine, tokens=tokens(), record=record)
    assert not app.state.simulations.started  # started when first needed
    with served(app) as url:
        response = get(url, "simulation", {"from": "2025-01-01", "years": 1, "runs": 2}, CSV)
        assert response.status_code == 200
        assert app.state.simulations.started
    engine.close()
    assert len(executors) == 1
    assert isinstance(executors[0], cf.ProcessPoolExecutor)
    assert not app.state.simulations.started  # stopped when the service stopped
    assert len(pd.read_csv(io.BytesIO(response.content))) == 2 * 13 * 13  # runs x months x stages


def _pid() -> int:
    import os

    return os.getpid()


def test_a_simulation_process_that_died_is_started_again_and_none_is_started_once_closed() -> None:
    """The process killed (out of memory, by hand) left a broken pool: every later simulated export failed."""
    import os
    import signal

    from intervention_engine.service.exports import SimulationProcess

    simulations = SimulationProcess()
    try:
        pool = simulations.executor()
        first = pool.submit(_pid).result(timeout=120)
        os.kill(first, signal.SIGKILL)

        def broken() -> bool:  # the pool as it was refuses work for good once it sees its process gone
            try:
                pool.submit(_pid)
            except cf.process.BrokenProcessPool:
                return True
            return False

        eventually(broken, "the pool to see its process die")
        second = simulations.executor().submit(_pid).result(timeout=120)  # a new process
        assert second not in (first, os.getpid())
    finally:
        simulations.close()
    assert not simulations.started
    with pytest.raises(RuntimeError, match="closed"):
        simulations.executor()
    assert not simulations.started


class FirstOnly(cf.Executor):
    """Plays the first call submitted; the others wait, as behind a busy simulation process."""

    def __init__(self) -> None:
        self.futures: list[cf.Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        if not self.futures:
            future.set_result(fn(*args, **kwargs))
        self.futures.append(future)
        return future


def test_per_council_rows_given_up_leave_no_batch_queued_for_the_simulation_process(record: RealRecord) -> None:
    engine = record.replay(D(2020, 3, 31))
    try:
        starts = starts_from(D(2020, 3, 31), engine, None, who="simulate")
    finally:
        engine.close()
    world = WorldModel.calibrated(record.calibration())
    pool = FirstOnly()
    runs = council_stages(starts, None, world, D(2020, 3, 31), 1, 20, 0, pool, batch_runs=1)
    run, stages = next(runs)  # the first run's stages, taken once more batches than the window are queued
    assert (run, stages.shape) == (0, (153, 13))  # councils x (the first day and 12 months on)
    assert len(pool.futures) > 1
    runs.close()  # the client went away
    assert [future.cancelled() for future in pool.futures[1:]] == [True] * (len(pool.futures) - 1)


# ----------------------------------------------------------------------------------------------------------------
# Refusals: one line, a status, nothing computed.


def served_without_record() -> Any:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2026, 1, 1)))
    return served(create_app(engine, tokens=tokens()))


@pytest.mark.parametrize("table", ["simulation", "simulation_councils", "backtest"])
def test_a_simulated_table_from_a_server_without_the_record_is_a_409_naming_the_setting(table: str) -> None:
    with served_without_record() as url:
        response = get(url, table, {"runs": 1}, CSV)
    assert response.status_code == 409
    assert response.json() == {
        "error": "no_national_record",
        "message": f"table {table!r} is simulated from the national record: this server has none (start it with "
        "INTERVENTION_ENGINE_OFSTED_CSV naming the national Ofsted CSV)",
    }


@pytest.fixture
def replays(record: RealRecord, monkeypatch: pytest.MonkeyPatch) -> list[dt.date]:
    """The days the record is replayed to (a simulated table replays it before playing any run)."""
    found: list[dt.date] = []
    replay = record.replay

    def counted(until: dt.date, progress: Any = None) -> InterventionEngine:
        found.append(until)
        return replay(until, progress)

    monkeypatch.setattr(record, "replay", counted)
    return found


@pytest.mark.parametrize(
    ("table", "params", "message"),
    [
        ("simulation", {"runs": 1001}, "invalid request: query.runs: Input should be less than or equal to 1000"),
        ("simulation", {"runs": 0}, "invalid request: query.runs: Input should be greater than or equal to 1"),
        ("simulation", {"years": 31}, "invalid request: query.years: Input should be less than or equal to 30"),
        ("backtest", {"seed": -1}, "invalid request: query.seed: Input should be greater than or equal to 0"),
        ("simulation", {"policy": ["dfe-2022", "dfe-1999"]},
         "invalid request: query.policy.1: Input should be 'dfe-2013', 'dfe-2013-11', 'dfe-2015-12', 'dfe-2016-07', "
         "'dfe-2022' or 'dfe-2026-04'"),
        ("simulation", {"from": "2020-13-01"}, "invalid request: query.from.0: "),
        ("backtest", {"from": [f"20{y}-01-01" for y in range(10, 21)]},
         "invalid request: query.from: List should have at most 10 items after validation, not 11"),
        ("simulation", {"from": ["2020-01-01", "2021-01-01"]},
         "table 'simulation' starts from one day: give from once"),
        ("simulation", {"runs": 1000, "years": 10, "policy": ["dfe-2015-12", "dfe-2022"]},
         "table 'simulation': 20,000 run-years asked (runs x years x variants); this server plays at most 10,000 a "
         "request"),
        ("simulation_councils", {"runs": 100, "years": 11},
         "table 'simulation_councils': 1,100 run-years asked (runs x years x variants); this server plays at most "
         "1,000 a request"),
        ("backtest", {"from": ["2014-01-01", "2015-01-01"], "to": "2024-12-31", "runs": 500},
         "table 'backtest': 10,500 run-years asked (runs x years from each origin to `to`, summed); this server plays "
         "at most 10,000 a request"),
        ("backtest", {"from": "2025-01-01", "to": "2024-12-31"}, "every origin must come before 2024-12-31"),
        ("backtest", {"from": "2013-03-31", "to": "2014-12-31", "runs": 1}, "every origin must come after 2013-03-31"),
        ("backtest", {"from": "2013-06-01", "to": "2014-03-30", "runs": 1},
         "the backtest must run to 2014-03-31 or later"),
    ],
)  # fmt: skip
def test_a_bad_simulated_export_is_a_422_in_one_line_and_nothing_is_computed(
    simulating: str, replays: list[dt.date], table: str, params: dict[str, Any], message: str
) -> None:
    response = get(simulating, table, params, CSV)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == ("invalid_request" if message.startswith("invalid request") else "invalid")
    assert body["message"].startswith(message)
    assert "\n" not in body["message"]
    assert replays == []


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"runs": 1000, "years": 10}, 200),  # 10,000 run-years: the bound itself
        ({"runs": 667, "years": 15}, 422),  # 10,005: the nearest product above it
        ({"runs": 500, "years": 10, "policy": ["dfe-2015-12", "dfe-2022"]}, 200),  # x 2 variants: 10,000
    ],
)
def test_the_run_year_bound_of_simulation_is_inclusive(
    simulating: str, monkeypatch: pytest.MonkeyPatch, params: dict[str, Any], status: int
) -> None:
    """Up to the bound the request is computed (here by a stand-in that records what it was asked), past it refused."""
    from intervention_engine.projections.exports import TABLES, ExportTable

    asked: list[Any] = []
    monkeypatch.setattr(simulated, "simulated_table", lambda *a, **k: asked.append(a[2]) or ExportTable(
        TABLES["simulation"], []))  # fmt: skip
    response = get(simulating, "simulation", params, CSV)
    assert response.status_code == status, response.text
    assert len(asked) == (status == 200)


def test_simulation_councils_at_the_bound_is_played(simulating: str, replays: list[dt.date]) -> None:
    # 1,000 run-years is the bound itself: the request gets past it (the headers come once the record is replayed
    # and the runs begin; the test goes away before the 1.85 million rows).
    with httpx2.stream("GET", f"{simulating}/exports/simulation_councils", headers=CSV, timeout=300,
                       params={"runs": 100, "years": 10, "from": "2020-03-31"}) as streamed:  # fmt: skip
        assert streamed.status_code == 200
    assert replays[:1] == [D(2020, 3, 31)]


# ----------------------------------------------------------------------------------------------------------------
# The store's tables, streamed from a reader engine.


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[InterventionEngine, InterventionEngine]]:
    """A store (SQLite, PostgreSQL) with Kirklees (judged inadequate in June 2018) and Barnet, and one reader engine
    on it."""
    if request.param == "postgres":
        settings: Settings = request.getfixturevalue("postgres")
    else:
        settings = Settings(backend="sqlite", db=tmp_path / "exports.sqlite")
    engine = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    engine.record(None, registration(on="2018-01-01") | {"ons_code": "E08000034", "region": "Yorkshire and the Humber"})
    engine.record("382", inspection(D(2018, 6, 1), "inadequate"))
    engine.record(None, registration("302", "Barnet", "2018-06-15"))
    reader = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)), read_only=True, check=False)
    yield engine, reader
    reader.close()
    engine.close()


def with_one_reader(store: tuple[InterventionEngine, InterventionEngine]) -> FastAPI:
    engine, reader = store
    return create_app(engine, tokens=tokens(), readers=[reader])


def test_a_complete_stream_gives_its_reader_back(store: tuple[InterventionEngine, InterventionEngine]) -> None:
    app = with_one_reader(store)
    with served(app) as url:
        response = get(url, "states", {"until": "2018-12-31"}, CSV)
        eventually(lambda: app.state.gate.idle_readers == 1, "the reader to be given back")
        again = get(url, "facts", {}, PARQUET)  # the one reader answers the next export
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(response.content), dtype={"council": str}, parse_dates=["month_end"])
    assert len(frame) == 12 + 7  # Kirklees January to December, Barnet June to December
    assert list(frame[frame["council"] == "382"]["stage"])[4:6] == ["not_inspected", "inadequate"]  # May, June
    assert pq.read_table(io.BytesIO(again.content)).num_rows == 3  # two registrations and a report


def endless_states(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Make the `states` table's rows come over and over, so a download ends only when its client goes away or is
    disconnected; the list it returns holds True once the rows were closed."""
    closed: list[bool] = []
    states = store_tables.states

    def endless(*args: Any) -> Iterator[tuple[Any, ...]]:
        rows = list(states(*args))
        try:
            while True:
                yield from rows
        finally:
            closed.append(True)

    monkeypatch.setattr(store_tables, "states", endless)
    return closed


def test_a_client_that_goes_away_mid_stream_gives_the_reader_back_and_never_held_the_writer(
    store: tuple[InterventionEngine, InterventionEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = endless_states(monkeypatch)
    app = with_one_reader(store)
    gate = app.state.gate
    with served(app) as url, httpx2.Client(base_url=url, timeout=60) as http:
        with http.stream("GET", "/exports/states", params={"until": "2018-12-31"}, headers=CSV) as response:
            assert response.status_code == 200
            first = next(response.iter_bytes())
            assert first.startswith(b"\xef\xbb\xbfcouncil,ons_code,")
            assert gate.idle_readers == 0  # lent to the stream, mid-way
            fact = {"type": "action_plan_submitted", "occurred_on": "2018-08-01"}
            assert http.post("/councils/382/facts", json=fact, headers=auth(RECORDER)).status_code == 201
        # the client has closed the connection with the table unfinished
        eventually(lambda: gate.idle_readers == 1, "the reader to be given back after the client went away")
        assert closed == [True]
        monkeypatch.undo()  # the table as it is again
        after = http.get("/exports/states", params={"until": "2018-12-31"}, headers=CSV)
    assert after.status_code == 200
    assert len(pd.read_csv(io.BytesIO(after.content))) == 19


def test_a_client_that_stops_reading_is_disconnected_and_its_reader_given_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download whose client kept the connection open and read nothing held its reader engine for ever (two such
    and every read waited); it is closed after `stream_send_seconds`, as a slow event stream is."""
    import socket

    from intervention_engine.settings import ServiceLimits

    closed = endless_states(monkeypatch)
    settings = Settings(backend="sqlite", db=tmp_path / "slow.sqlite")
    engine = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    engine.record(None, registration(on="2018-01-01"))
    reader = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)), read_only=True, check=False)
    app = create_app(engine, tokens=tokens(), readers=[reader], limits=ServiceLimits(stream_send_seconds=0.5))
    try:
        with served(app) as url:
            host, port = url.removeprefix("http://").split(":")
            with socket.create_connection((host, int(port))) as stalled:
                stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                token = READER.encode()
                stalled.sendall(b"GET /exports/states?until=2018-12-31 HTTP/1.1\r\nHost: x\r\n"
                                b"Authorization: Bearer " + token + b"\r\nAccept: text/csv\r\n\r\n")  # fmt: skip
                eventually(lambda: app.state.gate.idle_readers == 0, "the download to take the reader")
                # ... and nothing read: the server's sends stop once the socket's buffers are full.
                eventually(lambda: app.state.gate.idle_readers == 1, "the stalled download to give its reader back")
                assert closed == [True]
    finally:
        reader.close()
        engine.close()


def test_the_in_memory_store_reads_the_table_whole_under_the_lock_and_frees_it_before_streaming(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from intervention_engine.service import exports as service_exports

    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    engine.record(None, registration(on="2018-01-01"))
    app = create_app(engine, tokens=tokens())
    locked_while_encoding: list[bool] = []
    encode = service_exports.chunks

    def watched(found: Any, format: str) -> Iterator[bytes]:
        for chunk in encode(found, format):
            locked_while_encoding.append(app.state.gate._lock.locked())
            yield chunk

    monkeypatch.setattr(service_exports, "chunks", watched)
    with served(app) as url:
        response = get(url, "states", {"until": "2018-12-31"}, CSV)
    engine.close()
    assert response.status_code == 200
    assert len(pd.read_csv(io.BytesIO(response.content))) == 12
    assert locked_while_encoding == [False, False]  # the header, then the rows: the lock free for both


def test_the_export_counts_of_national_read_each_stream_once(
    store: tuple[InterventionEngine, InterventionEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """England and its regions come from one pass over each council's stream (they were two)."""
    engine, _ = store
    events = engine.store.events
    read: list[Any] = []
    get_events = events.get

    def counted(originator_id: Any, **kwargs: Any) -> Any:
        if "limit" not in kwargs:  # a whole stream (a registration alone is read with limit=1)
            read.append(originator_id)
        return get_events(originator_id, **kwargs)

    monkeypatch.setattr(events, "get", counted)
    found = engine.export("national", days=[D(2018, 12, 31)])
    rows = list(found.rows)
    assert len(read) == 2  # Kirklees and Barnet, once each
    assert len(set(read)) == 2
    england = {row[2]: row[3] for row in rows if row[1] == "England"}
    assert (england["inadequate"], england["not_inspected"], sum(england.values())) == (1, 1, 2)
    assert len(rows) == 3 * 13  # England, Yorkshire and the Humber, no region on record; thirteen stages


@pytest.mark.parametrize("table", ["states", "timers", "facts"])
def test_a_store_that_cannot_be_read_answers_503_in_one_line_and_gives_the_reader_back(
    tmp_path: Path, table: str
) -> None:
    """The rows are streamed after the headers, so a failing store once gave a 200 and a body cut short; the first
    row is read before the response starts, and the failure answers as every read does."""
    import sqlite3

    db = tmp_path / "gap.sqlite"
    settings = Settings(backend="sqlite", db=db)
    engine = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    engine.record(None, registration(on="2018-01-01"))
    engine.record("382", inspection(D(2018, 6, 1), "inadequate"))
    engine.close()
    with sqlite3.connect(db) as connection:
        connection.execute("DELETE FROM stored_events WHERE originator_version = 3")
    writer = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)), check=False)
    reader = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)), read_only=True, check=False)
    app = create_app(writer, tokens=tokens(), readers=[reader])
    try:
        with served(app) as url:
            response = get(url, table, {"until": "2018-12-31"}, CSV)
            idle = app.state.gate.idle_readers
    finally:
        reader.close()
        writer.close()
    if table == "facts":  # read off the log, not by replaying a stream: the gap does not stop it
        assert response.status_code == 200
        return
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "store_unavailable"
    assert body["message"] == (
        "the store cannot be used: council '382': its stream lacks version 3 (the next stored event is version 4)"
    )
    assert idle == 1
