"""Policy sweeps (issue 12): a grid of policies x world-model parameters x runs as one tidy table, streamed, the same
from the same seed on a process pool, in this process, or on a Dask cluster; bad input refused before any work."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import importlib
import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from intervention_engine.cli import app
from intervention_engine.policies.rulebook import STAGES
from intervention_engine.simulation import RealRecord, WorldModel, simulate, sweep
from intervention_engine.simulation.montecarlo import SerialExecutor
from intervention_engine.simulation.start import CouncilStart, national_start

from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2018, 1, 1)
COLUMNS = ["variant", "policy", "p_alternative_delivery", "run", "month", "date", "stage", "councils"]

sweep_module = importlib.import_module("intervention_engine.simulation.sweep")  # `sweep` is its function


@pytest.fixture(scope="module")
def record() -> RealRecord:
    return RealRecord.load(OFSTED_CSV, sorted((ROOT / "scenarios").glob("*.yaml")))


@pytest.fixture(scope="module")
def world(record: RealRecord) -> WorldModel:
    return WorldModel.calibrated(record.calibration())


@pytest.fixture(scope="module")
def starts(record: RealRecord) -> list[CouncilStart]:
    """Forty councils as they stood on 1 January 2018 (a sweep of every council is the benchmark's)."""
    engine = record.replay(START)
    try:
        return national_start(engine, START)[:40]
    finally:
        engine.close()


@pytest.fixture(scope="module")
def table(world: WorldModel, starts: list[CouncilStart]) -> pa.Table:
    """2 policies x 2 shares of commissioners recommending alternative delivery x 3 runs x 1 year, in this process."""
    grid = {"p_alternative_delivery": [0.0, 1.0]}
    planned = sweep(START, 1, 3, 11, world=world, policies=["in-force", "dfe-2016-07"], grid=grid, starts=starts,
                    executor=SerialExecutor(), batch_runs=2)  # fmt: skip
    return planned.to_table()


def test_the_table_is_tidy_one_row_per_variant_run_month_and_stage(table: pa.Table) -> None:
    assert table.column_names == COLUMNS
    assert table.num_rows == 4 * 3 * 13 * len(STAGES)  # variants x runs x dates (1 Jan 2018 to 1 Jan 2019) x stages
    variants = table.group_by(["variant", "policy", "p_alternative_delivery"]).aggregate([]).sort_by("variant")
    assert variants.to_pylist() == [
        {"variant": 0, "policy": "in-force", "p_alternative_delivery": 0.0},
        {"variant": 1, "policy": "in-force", "p_alternative_delivery": 1.0},
        {"variant": 2, "policy": "dfe-2016-07", "p_alternative_delivery": 0.0},
        {"variant": 3, "policy": "dfe-2016-07", "p_alternative_delivery": 1.0},
    ]
    first = table.slice(0, len(STAGES)).to_pylist()
    assert [row["stage"] for row in first] == list(STAGES)  # every stage, zeros included
    assert {(row["run"], row["month"], row["date"]) for row in first} == {(0, 0, START)}
    last = table.slice(table.num_rows - 1, 1).to_pylist()[0]
    assert (last["variant"], last["run"], last["month"], last["date"]) == (3, 2, 12, dt.date(2019, 1, 1))
    # Each of the 40 councils is in exactly one stage on every date of every run of every variant.
    totals = table.group_by(["variant", "run", "month"]).aggregate([("councils", "sum")])
    assert set(totals.column("councils_sum").to_pylist()) == {40}


def test_a_variant_is_the_national_projection_of_its_policy_from_the_same_seed(
    table: pa.Table, world: WorldModel, starts: list[CouncilStart]
) -> None:
    projection = simulate(START, 1, 3, 11, "dfe-2016-07", SerialExecutor(), starts=starts,
                          world=WorldModel.calibrated(world.dfe.calibration, p_alternative_delivery=1.0))  # fmt: skip
    rows = table.filter(pc.equal(table["variant"], 3))
    counts = np.array(rows.column("councils").to_pylist()).reshape(3, 13, len(STAGES))
    assert (counts == projection.stage_counts).all()
    # Every variant plays the same seeded runs: the first (regimes in force, no commissioner recommending removal)
    # is the national projection of those settings from the same seed too, month by month.
    in_force = simulate(START, 1, 3, 11, None, SerialExecutor(), starts=starts,
                        world=WorldModel.calibrated(world.dfe.calibration, p_alternative_delivery=0.0))  # fmt: skip
    rows = table.filter(pc.equal(table["variant"], 0))
    counts = np.array(rows.column("councils").to_pylist()).reshape(3, 13, len(STAGES))
    assert (counts == in_force.stage_counts).all()


class CountingExecutor(SerialExecutor):
    """Runs each call at once and counts the calls, to see how far ahead of its reader a sweep runs."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_rows_are_streamed_a_window_of_batches_ahead(world: WorldModel, starts: list[CouncilStart]) -> None:
    pool = CountingExecutor()
    planned = sweep(START, 1, 10, 11, world=world, grid={"fixed_lags": [10, 60]}, starts=starts, executor=pool,
                    batch_runs=1, window=3)  # fmt: skip
    stream = iter(planned)
    first = next(stream)
    assert first.num_rows == 13 * len(STAGES)  # one run's rows
    assert pool.submitted == 3  # of 20 batches: only the window was started
    assert sum(batch.num_rows for batch in stream) == 19 * 13 * len(STAGES)
    assert pool.submitted == 20


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_table_is_written_batch_by_batch_and_reads_back(
    suffix: str, world: WorldModel, starts: list[CouncilStart], tmp_path: Path
) -> None:
    planned = sweep(START, 1, 2, 5, world=world, policies=["dfe-2022"], grid={"fixed_lags": [{"x": 1}, None]},
                    starts=starts, executor=SerialExecutor(), batch_runs=1)  # fmt: skip
    out = tmp_path / f"sweep{suffix}"
    assert planned.to_table().num_rows == 2 * 2 * 13 * len(STAGES)
    assert planned.write(out) == 2 * 2 * 13 * len(STAGES)
    assert [row["runs"] for row in planned.summary()] == [2, 2]  # one pass's runs, not the runs of every pass
    nulls = pa_csv.ConvertOptions(strings_can_be_null=True)
    back = pq.read_table(out) if suffix == ".parquet" else pa_csv.read_csv(out, convert_options=nulls)
    assert back.num_rows == 2 * 2 * 13 * len(STAGES)
    assert set(back.column("fixed_lags").to_pylist()) == {'{"x": 1}', None}  # a mapping as JSON; None as null
    assert list(tmp_path.iterdir()) == [out]  # no partial file left beside it


def test_bad_input_is_refused_in_one_line_before_any_work(world: WorldModel, starts: list[CouncilStart]) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"policies": ["dfe-1999"]}, r"^unknown DfE policy 'dfe-1999'; known: dfe-2013, "),
        ({"runs": -1}, r"^sweep: the number of runs must be at least 1, not -1$"),
        ({"runs": 0}, r"^sweep: the number of runs must be at least 1, not 0$"),
        ({"grid": {"p_alternative_delivry": [0.5]}},
         r"^sweep grid: no world-model parameter 'p_alternative_delivry'; did you mean 'p_alternative_delivery'\?"),
        ({"grid": {"fill_gaps": []}}, r"^sweep grid: parameter 'fill_gaps' has no values$"),
    ]  # fmt: skip
    for change, message in cases:
        arguments: dict[str, Any] = {"runs": 2, "world": world, "starts": starts, "executor": CountingExecutor()}
        arguments.update(change)
        with pytest.raises(ValueError, match=message):
            sweep(START, 1, arguments.pop("runs"), 0, **arguments)
        assert arguments["executor"].submitted == 0
    dotted = sweep(START, 1, 1, 0, world=world, starts=starts, grid={"dfe.p_alternative_delivery": [0.5]})
    assert dotted.rows == 1 * 1 * 13 * len(STAGES)  # a dotted name is accepted: one variant x run x 13 dates x stages


def test_sweep_command_writes_the_table_and_refuses_bad_input_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    out = tmp_path / "sweep.csv"
    common = ["sweep", "--ofsted-csv", str(OFSTED_CSV), "--from", "2025-01-01", "--years", "1", "--workers", "0"]
    built: list[object] = []  # each variant's world model, as the grid makes it
    real = sweep_module.with_parameters
    monkeypatch.setattr(sweep_module, "with_parameters", lambda *a: (built.append(a[1]), real(*a))[1])
    done = runner.invoke(app, [*common, "--runs", "2", "--policy", "in-force", "--policy", "dfe-2022",
                               "--set", "p_alternative_delivery=0.5,1", "--out", str(out), "--json"])  # fmt: skip
    monkeypatch.undo()
    assert done.exit_code == 0, done.output
    # Built once, when the command checks them before replaying the record (before: again for the sweep itself).
    assert len(built) == 4
    data = json.loads(done.stdout)
    assert (data["rows"], len(data["variants"])) == (4 * 2 * 13 * len(STAGES), 4)
    assert [v["parameters"] for v in data["variants"]] == [{"p_alternative_delivery": value} for value in
                                                           (0.5, 1, 0.5, 1)]  # fmt: skip
    assert pa_csv.read_csv(out).num_rows == data["rows"]
    bad = tmp_path / "bad.parquet"
    for extra, message in [
        (["--runs", "-5"], "sweep: the number of runs must be at least 1, not -5"),
        (["--policy", "dfe-1999"], "unknown DfE policy 'dfe-1999'"),
        (["--set", "p_alternative_delivry=0.5"], "sweep grid: no world-model parameter 'p_alternative_delivry'"),
        (["--set", "fill_gaps"], "--set 'fill_gaps': write NAME=VALUE[,VALUE...]"),
    ]:
        refused = runner.invoke(app, [*common, *extra, "--out", str(bad)])
        assert refused.exit_code == 2, refused.output
        assert len(refused.stderr.strip().splitlines()) == 1
        assert message in refused.stderr
    refused = runner.invoke(app, [*common, "--out", str(tmp_path / "sweep.xlsx")])
    assert refused.exit_code == 2
    assert "--out" in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["sweep.csv"]


def test_a_dask_cluster_gives_the_table_a_process_pool_gives(world: WorldModel, starts: list[CouncilStart]) -> None:
    distributed = pytest.importorskip("distributed")  # the [dask] extra is in [dev]: `make test` runs this

    def run(executor: Any) -> pa.Table:
        return sweep(START, 1, 4, 23, world=world, policies=["in-force", "dfe-2013"], grid={"fixed_lags": [0, 90]},
                     starts=starts, executor=executor, batch_runs=3).to_table()  # fmt: skip

    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        expected = run(pool)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert run(client).equals(expected)  # a Client is taken as it is
        assert run(client.get_executor()).equals(expected)


def test_the_readme_sweep_command_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's command, with fewer runs and years (and its optional parts left out), from the project's root."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [command] = re.findall(r"^intervention-engine sweep .*?(?<!\\)$", readme.replace("\\\n", " "), flags=re.M)
    words = shlex.split(re.sub(r"\[.*?\]", "", command))[1:]
    words = [word.replace("../shared/data/ofsted_inspections.csv", str(OFSTED_CSV)) for word in words]
    words[words.index("--runs") + 1], words[words.index("--years") + 1] = "2", "1"
    words[words.index("--out") + 1] = str(tmp_path / "sweep.parquet")
    monkeypatch.chdir(ROOT)
    scenarios = [w for w in words if w.startswith("scenarios/")]
    words = [w for w in words if not w.startswith("scenarios/")] + [str(p) for s in scenarios for p in ROOT.glob(s)]
    done = CliRunner().invoke(app, [*words, "--workers", "0", "--json"])
    assert done.exit_code == 0, done.output
    assert [v["policy"] for v in json.loads(done.stdout)["variants"]] == ["in-force"] * 2 + ["dfe-2016-07"] * 2
    assert pq.read_table(tmp_path / "sweep.parquet").num_rows == 4 * 2 * 13 * len(STAGES)


def test_the_command_line_names_the_regimes_in_force_as_the_sweep_does() -> None:
    # The command line spells it without importing the simulation (a quick --help); the two must not drift apart.
    from intervention_engine.cli.sweep import IN_FORCE as COMMAND_IN_FORCE
    from intervention_engine.simulation.sweep import IN_FORCE

    assert COMMAND_IN_FORCE == IN_FORCE == "in-force"


def test_the_sweep_command_reads_the_record_as_simulate_does_a_folder_and_the_register_included(
    tmp_path: Path,
) -> None:
    from intervention_engine.cli.sweep import national_record

    out = tmp_path / "sweep.csv"
    register = OFSTED_CSV.with_name("dfe_interventions.csv")
    done = CliRunner().invoke(app, ["sweep", "--ofsted-csv", str(OFSTED_CSV), str(ROOT / "scenarios"),
                                    "--dfe-register", str(register), "--from", "2025-01-01", "--years", "1",
                                    "--runs", "1", "--workers", "0", "--out", str(out), "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    record = national_record(OFSTED_CSV, [ROOT / "scenarios"], register)
    roles = sorted({source["role"] for source in record.sources})
    assert roles == ["councils_csv", "dfe_register", "ofsted_csv", "scenario"]
    assert len([s for s in record.sources if s["role"] == "scenario"]) == len(list((ROOT / "scenarios").glob("*.yaml")))
