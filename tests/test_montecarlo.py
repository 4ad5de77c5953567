"""National Monte Carlo: reproducible from the seed whatever executor runs it, and a backtest against the record."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from intervention_engine.cli import app
from intervention_engine.policies.rulebook import STAGES
from intervention_engine.simulation import Projection, RealRecord, WorldModel, backtest, simulate
from intervention_engine.simulation.backtest import QUANTITIES
from intervention_engine.simulation.charts import fan_chart, save_figure
from intervention_engine.simulation.montecarlo import SerialExecutor
from intervention_engine.simulation.start import CouncilStart, national_start

from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
START = dt.date(2018, 1, 1)


@pytest.fixture(scope="module")
def record() -> RealRecord:
    return RealRecord.load(OFSTED_CSV, SCENARIOS)


@pytest.fixture(scope="module")
def starts(record: RealRecord) -> list[CouncilStart]:
    engine = record.replay(START)
    try:
        return national_start(engine, START)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def projection(record: RealRecord, starts: list[CouncilStart]) -> Projection:
    world = WorldModel.calibrated(record.calibration())
    return simulate(START, 3, 12, 7, executor=SerialExecutor(), starts=starts, world=world, batch_runs=5)


def _arrays(projection: Projection) -> list[np.ndarray]:
    return [
        projection.stage_counts,
        projection.inadequate_by_year,
        projection.intervention_months,
        projection.councils_in_intervention,
        projection.alternative_delivery_live,
    ]


def test_the_same_seed_gives_the_same_projection_whatever_executor_ran_it(
    record: RealRecord, starts: list[CouncilStart], projection: Projection
) -> None:
    world = WorldModel.calibrated(record.calibration())
    with cf.ProcessPoolExecutor(max_workers=2) as processes, cf.ThreadPoolExecutor(max_workers=3) as threads:
        for executor, batch in ((processes, 3), (threads, 12), (None, None)):
            again = simulate(START, 3, 12, 7, executor=executor, starts=starts, world=world, batch_runs=batch)
            for first, second in zip(_arrays(projection), _arrays(again), strict=True):
                np.testing.assert_array_equal(first, second)
    other = simulate(START, 3, 12, 8, executor=SerialExecutor(), starts=starts, world=world)
    assert not np.array_equal(other.stage_counts, projection.stage_counts)


def test_every_run_places_every_council_in_one_stage_on_every_date(projection: Projection) -> None:
    assert projection.stage_counts.shape == (12, 37, len(STAGES))
    assert (projection.stage_counts.sum(axis=2) == 153).all()
    assert projection.dates[0] == START
    assert projection.dates[-1] == dt.date(2021, 1, 1)
    fan = projection.fan("improvement_notice")
    assert (fan[5] <= fan[25]).all()
    assert (fan[25] <= fan[50]).all()
    assert (fan[75] <= fan[95]).all()


def test_the_projection_starts_from_the_real_national_state(projection: Projection, record: RealRecord) -> None:
    engine = record.replay(START)
    [real] = engine.national([START])
    engine.close()
    first = projection.stage_counts[0, 0]
    for stage, count in real.stages.items():
        if stage not in ("inadequate", "improvement_notice", "statutory_direction", "commissioner_review"):
            assert first[STAGES.index(stage)] == count, stage  # the DfE's missing instruments are filled on day one


def test_the_summary_is_json_with_bands(projection: Projection) -> None:
    data = json.loads(json.dumps(projection.to_dict()))
    assert set(data["inadequate_by_year"]) == {"2018", "2019", "2020"}
    band = data["out_of_council_control_at_end"]
    assert band["p5"] <= band["median"] <= band["p95"]
    assert len(data["monthly"]["out_of_council_control"]["50"]) == len(data["dates"]) == 37
    assert "Councils judged inadequate per year" in projection.text()


def test_the_fan_chart_is_drawn_as_png_and_svg(projection: Projection, tmp_path: Path) -> None:
    for suffix in (".png", ".svg"):
        assert save_figure(fan_chart(projection), tmp_path / f"fan{suffix}").stat().st_size > 5000


def test_another_policy_projects_from_the_same_state(record: RealRecord, starts: list[CouncilStart]) -> None:
    world = WorldModel.calibrated(record.calibration())
    projection = simulate(START, 2, 4, 7, "dfe-2022", SerialExecutor(), starts=starts, world=world)
    assert projection.policy == "dfe-2022"
    with pytest.raises(ValueError, match="unknown DfE policy"):
        simulate(START, 2, 4, 7, "dfe-1066", SerialExecutor(), starts=starts, world=world)


def test_the_backtest_sets_the_record_beside_the_simulated_range(record: RealRecord) -> None:
    origin = dt.date(2019, 1, 1)
    result, [projection] = backtest(
        record, origins=[origin], to_date=dt.date(2020, 12, 31), runs=8, seed=1, executor=SerialExecutor()
    )
    assert (projection.runs, projection.from_date) == (8, origin)
    # Four readouts on 31 March 2019 and 2020.
    assert [(f.quantity, f.year) for f in result.forecasts] == [
        (quantity, year) for year in (2019, 2020) for quantity in QUANTITIES
    ]
    inadequate = {f.year: f for f in result.forecasts if f.quantity == "judged_inadequate"}
    # ofsted_inspections.csv read plainly (each URN's latest row published by 31 March, overall inadequate): 20, 20.
    assert [inadequate[year].scored.actual for year in (2019, 2020)] == [20, 20]
    assert all(f.record.complete for f in inadequate.values())
    assert all(f.scored.p5 <= f.scored.p50 <= f.scored.p95 for f in result.forecasts)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["overall"]["forecasts"] == 8
    assert set(data["scores"]) == set(QUANTITIES)


def test_a_backtest_from_the_day_after_the_first_unscored_31_march_is_scored_from_2014(record: RealRecord) -> None:
    """The first 31 March the record scores is 2014's: an origin on 1 April 2013 is the earliest that reaches it (on
    31 March 2013, the day before, it was refused with a KeyError, after the runs)."""
    result, _ = backtest(
        record, origins=[dt.date(2013, 4, 1)], to_date=dt.date(2014, 3, 31), runs=2, seed=1, executor=SerialExecutor()
    )
    assert sorted({(f.origin, f.year) for f in result.forecasts}) == [(dt.date(2013, 4, 1), 2014)]


def test_simulate_command_is_reproducible_and_draws_the_fan(tmp_path: Path) -> None:
    args = ["simulate", "--ofsted-csv", str(OFSTED_CSV), *map(str, SCENARIOS), "--from", "2019-04-01",
            "--years", "2", "--runs", "6", "--seed", "3", "--workers", "0", "--json"]  # fmt: skip
    runner = CliRunner()
    first = runner.invoke(app, [*args, "--chart", str(tmp_path / "fan.svg")])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, args)
    assert json.loads(first.stdout) == json.loads(again.stdout)
    assert json.loads(first.stdout)["councils"] == 153
    assert (tmp_path / "fan.svg").exists()
    refused = runner.invoke(app, [*args, "--policy", "dfe-1066"])
    assert refused.exit_code == 2


def test_backtest_and_counterfactual_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["backtest", "--ofsted-csv", str(OFSTED_CSV), "--runs", "4", "--workers", "0", "--from", "2018-01-01",
              "--to", "2019-12-31", "--chart", str(tmp_path / "backtest.svg")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "all four, every origin:   inside the 50% band" in result.stdout
    assert (tmp_path / "backtest.svg").exists()
    db = tmp_path / "record.sqlite"
    replayed = runner.invoke(app, ["replay", str(ROOT / "scenarios" / "slough.yaml"), "--db", str(db)])
    assert replayed.exit_code == 0, replayed.output
    found = runner.invoke(app, ["counterfactual", "--policy", "dfe-2016-07", "--db", str(db), "--json"])
    assert found.exit_code == 0, found.output
    [slough] = json.loads(found.stdout)["councils"]
    assert "direction_with_commissioner" in {e["kind"] for e in slough["expected"]}


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["simulate", "--from", "2025-01-01", "--runs", "-5"], "--runs must be at least 1, not -5"),
        (["simulate", "--from", "2025-01-01", "--years", "0"], "--years must be at least 1, not 0"),
        (["simulate", "--from", "2025-01-01", "--policy", "dfe-1066"], "unknown DfE policy 'dfe-1066'"),
        (["backtest", "--runs", "0"], "--runs must be at least 1, not 0"),
        (["backtest", "--from", "2025-06-01", "--to", "2024-12-31"], "every origin must come before 2024-12-31"),
        (["backtest", "--from", "2013-03-31"], "every origin must come after 2013-03-31"),  # was a KeyError
        (["backtest", "--from", "2013-06-01", "--to", "2014-03-30"], "the backtest must run to 2014-03-31 or later"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, command: list[str], words: str) -> None:
    chart = tmp_path / "chart.svg"
    result = CliRunner().invoke(app, [*command, "--ofsted-csv", str(OFSTED_CSV), "--workers", "0",
                                      "--chart", str(chart)])  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert words in lines[0]
    assert not chart.exists()


def test_the_command_lines_backtest_ends_where_the_library_does_by_default() -> None:
    """The commands keep `--to` as text so that --help imports no simulation; it must name simulation's BACKTEST_TO."""
    import inspect

    from intervention_engine.cli import exports as export_command
    from intervention_engine.cli import whatif as whatif_commands
    from intervention_engine.simulation.backtest import BACKTEST_TO

    for command in (export_command.export, whatif_commands.backtest):
        assert inspect.signature(command).parameters["to_date"].default == BACKTEST_TO.isoformat() == "2024-12-31"
