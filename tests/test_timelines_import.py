"""The research-timeline importer: real notes load directly, messy parts are kept and reported, never dropped."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from intervention_engine import InvalidImport, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id
from intervention_engine.facts import fact_to_data
from intervention_engine.history.timelines import import_timeline, read_timeline

from shared_data import DATA

TIMELINES = sorted((DATA / "timelines").glob("*.yaml"))


@pytest.mark.parametrize("path", TIMELINES, ids=[path.stem for path in TIMELINES])
def test_every_shared_timeline_imports(path: Path) -> None:
    found = read_timeline(path)
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
    import_timeline(engine, found)
    events = engine.store.events.get(council_id(found.registration.code))
    stored = iter([event.fact for event in events if type(event).__name__ == "FactRecorded"])
    # Every event of the file is in the store, in order (policies may have recorded facts of their own between).
    assert all(fact_to_data(fact) in stored for fact in found.facts)
    assert not found.unknown_types


def test_a_commissioner_before_any_direction_is_recorded_with_a_deviation_and_the_states_follow() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
    import_timeline(engine, read_timeline(DATA / "timelines" / "rotherham.yaml"))
    assert engine.state("372", as_of=dt.date(2014, 10, 31)).states["instrument"] == "commissioner_review"
    [deviation] = [d for d in engine.deviations("372") if d["rule_id"] == "LIFECYCLE"]
    assert deviation["occurred_on"] == "2014-10-01"
    assert "appoint_commissioner is not a move from none" in deviation["expected"]


def test_partial_dates_keep_their_precision_and_follow_the_placement_rule() -> None:
    found = read_timeline(DATA / "timelines" / "manchester.yaml")
    notice = next(fact for fact in found.facts if fact.describe() == "improvement_notice_issued")
    # "2014" comes after the report of 1 September 2014 in the file: placed on that date, precision kept.
    assert (notice.occurred_on, notice.date_precision) == (dt.date(2014, 9, 1), "year")
    assert "line 22: 2014 placed on 2014-09-01 (year: not before the event listed before it, line 6)" in found.placed
    darlington = read_timeline(DATA / "timelines" / "darlington.yaml")
    assert "line 27: 2015-Q4 placed on 2015-12-01 (quarter: not before the event listed before it, line 22)" in (
        darlington.placed
    )


def test_unknown_event_types_are_kept_as_notes_and_reported(tmp_path: Path) -> None:
    shutil.copy(DATA / "councils.csv", tmp_path / "councils.csv")
    (tmp_path / "timelines").mkdir()
    messy = tmp_path / "timelines" / "messy.yaml"
    text = (DATA / "timelines" / "gloucestershire.yaml").read_text(encoding="utf-8")
    messy.write_text(
        text + "- date: '2023-02-01'\n  type: ombudsman_report\n  detail: a complaint upheld\n  source: x\n"
        "  confidence: low\n",
        encoding="utf-8",
    )
    found = read_timeline(messy)
    assert found.unknown_types == {"ombudsman_report": 1}
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
    import_timeline(engine, found)
    notes = [entry.summary for entry in engine.timeline("916") if entry.summary.startswith("note (")]
    assert "note (ombudsman_report): a complaint upheld" in notes


def test_a_malformed_date_names_the_file_and_line(tmp_path: Path) -> None:
    shutil.copy(DATA / "councils.csv", tmp_path / "councils.csv")
    (tmp_path / "timelines").mkdir()
    bad = tmp_path / "timelines" / "bad.yaml"
    bad.write_text(
        (DATA / "timelines" / "kirklees.yaml").read_text(encoding="utf-8").replace("date: 2017-03", "date: March 2017"),
        encoding="utf-8",
    )
    with pytest.raises(InvalidImport, match=r"bad.yaml, line 27, field date: 'March 2017' is not a date"):
        read_timeline(bad)
