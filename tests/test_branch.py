"""What-if branches: a fork copies the record up to a day into a sandbox, plays a different future, and leaves the
stored history exactly as it was (DESIGN decision 10)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from intervention_engine import InterventionEngine, InvalidFact, Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.facts import fact_to_data
from intervention_engine.history.scenario import load_scenario, replay_scenario
from intervention_engine.simulation import Branch, RealRecord, WorldModel, branch
from intervention_engine.simulation.charts import save_figure, timelines_chart

from factories import inspection
from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
UNTIL = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def world() -> WorldModel:
    record = RealRecord.load(OFSTED_CSV, sorted((ROOT / "scenarios").glob("*.yaml")))
    return WorldModel.calibrated(record.calibration(), fixed_lags=30, p_alternative_delivery=0.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[InterventionEngine]:
    """Kirklees and Gloucestershire replayed into a SQLite file, as analysts keep the real record."""
    engine = build_engine(Settings(backend="sqlite", db=tmp_path / "record.sqlite"), clock=VirtualClock())
    for name in ("kirklees", "gloucestershire"):
        replay_scenario(engine, load_scenario(ROOT / "scenarios" / f"{name}.yaml"), until=UNTIL)
    yield engine
    engine.close()


def _stored(engine: InterventionEngine) -> list[tuple[Any, ...]]:
    """Every stored event of every council, as the recorder holds it (bytes included)."""
    rows = []
    for code, _ in engine.councils():
        cid = engine.index.find(code)
        stored = engine.store.recorder.select_events(cid)
        rows += [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored]
    return rows


def test_a_branch_leaves_the_stored_streams_byte_for_byte_unchanged(
    store: InterventionEngine, world: WorldModel
) -> None:
    before = _stored(store)
    what_if = branch(store, "Kirklees", at=dt.date(2016, 12, 1), policy="dfe-2022", seed=3, world=world)
    what_if.add(
        {"type": "commissioner_reported", "occurred_on": "2017-02-01", "recommendation": "alternative_delivery"}
    )
    run = what_if.run(UNTIL)
    run.compare()
    assert run.facts
    assert _stored(store) == before


def test_a_branch_reproduces_the_baseline_exactly_up_to_the_fork(store: InterventionEngine) -> None:
    fork = dt.date(2017, 10, 1)
    sandbox = branch(store, "382", at=fork).sandbox()
    assert sandbox.state("382").to_dict() == {**store.state("382", as_of=fork).to_dict(), "as_of": None}
    assert [e.summary for e in sandbox.timeline("382")] == [
        e.summary for e in store.timeline("382") if e.occurred_on <= fork.isoformat()
    ]


def test_replaying_every_baseline_fact_on_a_branch_gives_the_baseline(store: InterventionEngine) -> None:
    for council in ("Kirklees", "Gloucestershire"):
        registered = dt.date.fromisoformat(store.timeline(council)[0].occurred_on)
        comparison = branch(store, council, at=registered, keep="all").run(UNTIL).compare()
        assert comparison.differences() == []
        baseline, replayed = comparison.sides
        assert (baseline.expectations, baseline.deviations) == (replayed.expectations, replayed.deviations)


def test_a_branch_can_fork_after_a_stream_version(store: InterventionEngine) -> None:
    timeline = store.timeline("382")
    version = next(i for i, e in enumerate(timeline, start=1) if e.summary.startswith("statutory direction issued"))
    fork = branch(store, "382", at=version)
    assert fork.fork_day == dt.date(2016, 11, 25)
    assert fork.sandbox().state("382").stage == "commissioner_review"


def test_if_the_commissioner_had_found_capacity_to_improve_services_stay_with_the_council(
    store: InterventionEngine, world: WorldModel
) -> None:
    # The real Ofsted reports are kept; the DfE acts on the expectations; the commissioner (p = 0) keeps services.
    run = branch(store, "Kirklees", at=dt.date(2016, 12, 1), keep="ofsted", name="capacity", world=world).run(UNTIL)
    comparison = run.compare()
    baseline, capacity = comparison.sides
    assert baseline.out_of_council_on == "2018-01-25"  # Leeds as partner council (DFE-07)
    assert capacity.out_of_council_on is None
    assert ("commissioner_reported", "2017-02-25") in [(f.describe(), f.occurred_on.isoformat()) for f in run.facts]
    assert capacity.stages[comparison.dates.index(dt.date(2018, 12, 1))] == "statutory_direction"
    assert baseline.months_in_intervention > capacity.months_in_intervention > 0
    assert all(fact.simulated for fact in run.facts if fact.describe() != "inspection_published")
    assert "services left the council" in comparison.text()


def test_if_the_reinspection_had_found_inadequate_again_the_notice_would_not_be_lifted(
    store: InterventionEngine,
) -> None:
    again = inspection(dt.date(2022, 4, 1), "inadequate")
    what_if = branch(store, "Gloucestershire", at=dt.date(2017, 6, 30), keep="all", name="inadequate again")
    what_if.replace(dt.date(2022, 4, 1), "inspection_published", again)
    what_if.drop(dt.date(2022, 4, 1), "improvement_notice_lifted")
    comparison = what_if.run(dt.date(2024, 12, 31)).compare()
    baseline, branched = comparison.sides
    assert (baseline.stages[-1], branched.stages[-1]) == ("requires_improvement", "improvement_notice")
    # DFE-03: inadequate twice within five years is persistent failure, so a commissioner is expected.
    missed = [d for d in branched.deviations if d["kind"] == "direction_with_commissioner"]
    assert [d["how"] for d in missed] == ["missed"]
    assert comparison.differences()[0][0] == dt.date(2022, 4, 30)


def test_the_2016_rules_applied_earlier_expect_a_commissioner(store: InterventionEngine, world: WorldModel) -> None:
    # Gloucestershire 2017 was a first, not systemic, failure: a notice under either rules. Force systemic failure.
    systemic = inspection(dt.date(2017, 6, 13), "inadequate")
    what_if = branch(store, "916", at=dt.date(2017, 6, 1), policy="dfe-2016-07", keep="ofsted", world=world)
    what_if.replace(dt.date(2017, 6, 13), "inspection_published", systemic)
    run = what_if.run(dt.date(2019, 12, 31))
    assert [f.describe() for f in run.facts][:2] == ["inspection_published", "statutory_direction_issued"]
    assert run.engine.state("916", as_of=dt.date(2017, 9, 1)).stage == "commissioner_review"


def test_the_same_branch_gives_the_same_facts_twice_and_after_saving(
    store: InterventionEngine, world: WorldModel, tmp_path: Path
) -> None:
    what_if = branch(store, "382", at=dt.date(2016, 12, 1), name="seeded", seed=42, world=world, keep="ofsted")
    what_if.add({"type": "monitoring_visit_published", "occurred_on": "2017-05-02"})
    first = [fact_to_data(f) for f in what_if.run(UNTIL).facts]
    assert first == [fact_to_data(f) for f in what_if.run(UNTIL).facts]
    for name in ("branch.yaml", "branch.json"):
        path = what_if.save(tmp_path / name)
        loaded = Branch.load(path, store, world.dfe.calibration)
        assert loaded.to_dict() == what_if.to_dict()
        assert [fact_to_data(f) for f in loaded.run(UNTIL).facts] == first


def test_a_branch_refuses_what_it_cannot_mean(store: InterventionEngine) -> None:
    what_if = branch(store, "382", at=dt.date(2017, 1, 1))
    with pytest.raises(InvalidFact, match="before the fork"):
        what_if.add({"type": "improvement_notice_issued", "occurred_on": "2016-12-01"})
    with pytest.raises(InvalidFact, match="no statutory_direction_revoked on 2020-01-14"):
        what_if.drop(dt.date(2020, 1, 14), "statutory_direction_revoked")
    with pytest.raises(ValueError, match="unknown DfE policy"):
        branch(store, "382", at=dt.date(2017, 1, 1), policy="dfe-1999")


def test_the_comparison_is_text_json_and_a_chart(store: InterventionEngine, tmp_path: Path) -> None:
    what_if = branch(store, "916", at=dt.date(2017, 6, 30), keep="all", name="no notice")
    what_if.drop(dt.date(2017, 8, 1), "improvement_notice_issued")
    comparison = what_if.run(dt.date(2023, 1, 1)).compare()
    assert json.loads(json.dumps(comparison.to_dict()))["differences"]
    assert "<- differs" in comparison.text()
    for suffix in (".png", ".svg"):
        assert save_figure(timelines_chart(comparison), tmp_path / f"chart{suffix}").stat().st_size > 1000


def test_whatif_command_compares_a_saved_branch_with_the_record(tmp_path: Path) -> None:
    db = tmp_path / "record.sqlite"
    runner = CliRunner()
    assert runner.invoke(app, ["replay", str(ROOT / "scenarios" / "kirklees.yaml"), "--db", str(db)]).exit_code == 0
    args = ["whatif", "Kirklees", "--at", "2016-12-01", "--until", "2020-12-31", "--keep", "ofsted", "--seed", "5",
            "--fixed-lags", "30", "--ofsted-csv", str(OFSTED_CSV), "--db", str(db), "--save", str(tmp_path / "b.yaml"),
            "--chart", str(tmp_path / "b.png"), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["comparison"]["sides"][0]["label"] == "baseline"
    assert all(fact["simulated"] for fact in data["facts"] if fact["type"] != "inspection_published")
    assert (tmp_path / "b.png").exists()
    again = runner.invoke(app, ["whatif", "--branch", str(tmp_path / "b.yaml"), "--until", "2020-12-31",
                                "--ofsted-csv", str(OFSTED_CSV), "--db", str(db), "--json"])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["facts"] == data["facts"]
    refused = runner.invoke(
        app, ["whatif", "Nowhere", "--at", "2016-12-01", "--until", "2020-12-31", "--no-world", "--db", str(db)]
    )
    assert refused.exit_code == 3
