"""Saved branches are reproducible (issue 12): a branch file records what its answer depends on outside it (the
engine version, the calibration and its input files, the council's record up to and after the fork), and loading
it gives the same answer or refuses in one line naming what changed.

The bug this guards: a branch saved with `--scenario scenarios/kirklees.yaml` and reloaded with the Ofsted CSV alone
was calibrated without Kirklees's DfE lags and gave 44.1 months in intervention instead of 37.4."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from intervention_engine import InterventionEngine, InvalidFact, Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.facts import fact_to_data
from intervention_engine.history.scenario import load_scenario, replay_scenario
from intervention_engine.simulation import Branch, RealRecord, WorldModel, WorldSwitches, branch
from intervention_engine.simulation.branch import stored_facts

from factories import inspection
from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
KIRKLEES = ROOT / "scenarios" / "kirklees.yaml"
FORK, UNTIL = dt.date(2016, 12, 1), dt.date(2024, 12, 31)
RETAIN = {"type": "commissioner_reported", "occurred_on": "2017-02-20", "recommendation": "retain"}


def _store(path: Path) -> InterventionEngine:
    engine = build_engine(Settings(backend="sqlite", db=path), clock=VirtualClock())
    replay_scenario(engine, load_scenario(KIRKLEES), until=dt.date(2025, 12, 31))
    return engine


@pytest.fixture(scope="module")
def with_scenario() -> RealRecord:
    return RealRecord.load(OFSTED_CSV, [KIRKLEES])


def _saved(tmp_path: Path, engine: InterventionEngine, record: RealRecord) -> tuple[Path, list[dict[str, object]]]:
    world = WorldModel.calibrated(record.calibration())
    what_if = branch(engine, "Kirklees", at=FORK, keep="ofsted", seed=1, world=world, name="capacity")
    what_if.sources = record.sources
    what_if.add(RETAIN)
    facts = [fact_to_data(fact) for fact in what_if.run(UNTIL).facts]
    return what_if.save(tmp_path / "capacity.yaml"), facts


def test_a_branch_calibrated_with_a_scenario_is_not_reloaded_without_it(
    tmp_path: Path, with_scenario: RealRecord
) -> None:
    engine = _store(tmp_path / "record.sqlite")
    path, facts = _saved(tmp_path, engine, with_scenario)
    # The same inputs: the same facts, to the day.
    again = Branch.load(path, engine, with_scenario.calibration(), with_scenario.sources)
    assert [fact_to_data(fact) for fact in again.run(UNTIL).facts] == facts
    # The CSV alone is another calibration (no Kirklees case): it may play another future, so it is refused, named
    # (with fewer than 5 cases a lag falls back to RULES.md's figure either way, but the world is not the branch's).
    csv_alone = RealRecord.load(OFSTED_CSV)
    assert csv_alone.calibration() != with_scenario.calibration()
    with pytest.raises(InvalidFact, match=r"calibrated with scenario kirklees\.yaml, which is not given now"):
        Branch.load(path, engine, csv_alone.calibration(), csv_alone.sources)
    # Without the sources, the calibration's digest alone still tells them apart.
    with pytest.raises(InvalidFact, match=r"the calibration given is not the branch's \(sha256 [0-9a-f]{12} then"):
        Branch.load(path, engine, csv_alone.calibration())
    engine.close()


def test_whatif_branch_replays_the_inputs_it_names_or_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, saved, runner = tmp_path / "record.sqlite", tmp_path / "capacity.yaml", CliRunner()
    _store(db).close()
    common = ["--until", "2024-12-31", "--db", str(db), "--json"]
    first = runner.invoke(app, ["whatif", "Kirklees", "--at", "2016-12-01", "--keep", "ofsted", "--seed", "1",
                                "--add", json.dumps(RETAIN), "--ofsted-csv", str(OFSTED_CSV), "--scenario",
                                str(KIRKLEES), "--save", str(saved), *common])  # fmt: skip
    assert first.exit_code == 0, first.output
    months = json.loads(first.stdout)["comparison"]["sides"][1]["months_in_intervention"]
    # `--branch` alone reads the CSV and scenario the file names (checked against their digests), and the branch
    # file once (before: once for the inputs it names, again to load the branch).
    reads: list[Path] = []
    read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda path, *a, **k: (reads.append(path), read_text(path, *a, **k))[1])
    alone = runner.invoke(app, ["whatif", "--branch", str(saved), *common])
    monkeypatch.undo()
    assert alone.exit_code == 0, alone.output
    assert reads.count(saved) == 1
    assert json.loads(alone.stdout)["comparison"]["sides"][1]["months_in_intervention"] == months
    assert json.loads(alone.stdout)["facts"] == json.loads(first.stdout)["facts"]
    # The CSV without the scenario: one line naming the missing input, and no file written.
    refused = runner.invoke(app, ["whatif", "--branch", str(saved), "--ofsted-csv", str(OFSTED_CSV),
                                  "--save", str(tmp_path / "again.yaml"), *common])  # fmt: skip
    assert refused.exit_code != 0
    assert json.loads(refused.stderr)["message"] == (
        f"{saved}: the branch was calibrated with scenario kirklees.yaml, which is not given now; the world model "
        "would draw differently"
    )
    assert not (tmp_path / "again.yaml").exists()
    # A scenario without the CSV it calibrates with is refused rather than left out.
    alone_scenario = runner.invoke(app, ["whatif", "--branch", str(saved), "--scenario", str(KIRKLEES), *common])
    assert alone_scenario.exit_code == 2
    assert json.loads(alone_scenario.stderr)["message"] == (
        "--scenario calibrates with the Ofsted CSV: give --ofsted-csv FILE too"
    )


def test_a_changed_input_file_is_named_with_both_digests(tmp_path: Path) -> None:
    csv = tmp_path / "ofsted.csv"
    shutil.copy(OFSTED_CSV, csv)
    shutil.copy(OFSTED_CSV.with_name("councils.csv"), tmp_path)
    record = RealRecord.load(csv, [KIRKLEES])
    engine = _store(tmp_path / "record.sqlite")
    path, _ = _saved(tmp_path, engine, record)
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")  # the CSV loses its last report
    changed = RealRecord.load(csv, [KIRKLEES])
    with pytest.raises(InvalidFact, match=r"ofsted_csv ofsted\.csv has changed since the branch was saved \(sha256 "):
        Branch.load(path, engine, changed.calibration(), changed.sources)
    engine.close()


def test_a_changed_record_of_the_council_is_refused_before_and_after_the_fork(
    tmp_path: Path, with_scenario: RealRecord
) -> None:
    engine = _store(tmp_path / "record.sqlite")
    path, _ = _saved(tmp_path, engine, with_scenario)
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))["saved"]["record"]
    # A report recorded since, after the fork: the baseline's later facts (kept: keep="ofsted") are one more.
    engine.record("382", inspection(dt.date(2026, 2, 1), "good"))
    after = saved["after_fork"]["facts"]
    with pytest.raises(InvalidFact, match=rf"after the fork on 2016-12-01 .*\({after} facts then, {after + 1} now\)"):
        Branch.load(path, engine, with_scenario.calibration(), with_scenario.sources)
    engine.close()
    # Another store, holding Kirklees's record only to the end of 2015: the record up to the fork differs.
    short = build_engine(Settings(backend="sqlite", db=tmp_path / "short.sqlite"), clock=VirtualClock())
    scenario = load_scenario(KIRKLEES)
    short.record("382", scenario.registration())
    for fact in (event.to_fact() for event in scenario.events):
        if fact.occurred_on <= dt.date(2015, 12, 31):
            short.record("382", fact)
    assert 0 < len(stored_facts(short, "382")) < saved["to_fork"]["facts"]
    with pytest.raises(InvalidFact, match=r"record of council 382 up to the fork on 2016-12-01 is not the one"):
        Branch.load(path, short, with_scenario.calibration(), with_scenario.sources)
    short.close()


@pytest.mark.parametrize(
    ("saved", "message"),
    [
        ({"engine": "0.0.9"}, r"saved by intervention_engine 0\.0\.9, this is 0\.1\.0; its answer may differ"),
        (None, r"saved by an earlier version of intervention_engine \(no engine version in it\)"),
    ],
)
def test_a_branch_saved_by_another_version_is_refused_in_one_line(
    tmp_path: Path, saved: dict[str, str] | None, message: str
) -> None:
    engine = _store(tmp_path / "record.sqlite")
    path = branch(engine, "382", at=FORK, keep="all").save(tmp_path / "old.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["saved"] = saved
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidFact, match=message) as refused:
        Branch.load(path, engine)
    assert "\n" not in str(refused.value)
    engine.close()


def test_the_world_parameters_are_saved_by_name_and_a_misspelt_one_is_refused(
    tmp_path: Path, with_scenario: RealRecord
) -> None:
    engine = _store(tmp_path / "record.sqlite")
    world = WorldModel.calibrated(with_scenario.calibration(), fixed_lags=45, p_alternative_delivery=0.25)
    path = branch(engine, "382", at=FORK, world=world).save(tmp_path / "w.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["world"] == {
        "fixed_lags": 45,
        "p_alternative_delivery": 0.25,
        "p_insufficient": None,  # None: the record's rate
        "returns_per_year": None,
        "fill_gaps": True,
        # The world's dynamics (WorldSwitches), every one on by default.
        "progress_reviews": True,
        "six_month_check": True,
        "services_return": True,
        "monitoring_visits": True,
        "focused_visits": True,
        "ofsted_pause": True,
        "framework_2026": True,
    }
    loaded = Branch.load(path, engine, with_scenario.calibration())
    assert loaded.world is not None
    assert (loaded.world.dfe.fixed_lags, loaded.world.dfe.p_alternative_delivery) == (45, 0.25)
    data["world"]["p_alternative_delivry"] = data["world"].pop("p_alternative_delivery")
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidFact, match=r"no world-model parameter 'p_alternative_delivry'; did you mean "
                                          r"'p_alternative_delivery'\?"):  # fmt: skip
        Branch.load(path, engine, with_scenario.calibration())
    engine.close()


def test_a_dynamic_switched_off_is_saved_and_stays_off_when_the_branch_is_reloaded(
    tmp_path: Path, with_scenario: RealRecord
) -> None:
    engine = _store(tmp_path / "record.sqlite")
    switches = WorldSwitches(progress_reviews=False, ofsted_pause=False)
    world = WorldModel.calibrated(with_scenario.calibration(), switches=switches)
    path = branch(engine, "382", at=FORK, keep="ofsted", world=world).save(tmp_path / "off.json")
    saved = json.loads(path.read_text(encoding="utf-8"))["world"]
    assert (saved["progress_reviews"], saved["ofsted_pause"], saved["six_month_check"]) == (False, False, True)
    loaded = Branch.load(path, engine, with_scenario.calibration())
    assert loaded.world is not None
    assert loaded.world.switches == switches
    engine.close()
