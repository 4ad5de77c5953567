"""A council beside its ten statistical neighbours (`intervention-engine neighbours`, `history.neighbours`).

The neighbours are read from the real council identity table (`councils.csv` in the shared data). The store holds
Kirklees (382, a complete record: inadequate in November 2016, an improvement notice on 1 December 2016), and two of
its neighbours: Sheffield (373, first, a partial record: good in June 2015, nothing on record of the DfE) and
Wakefield (384, eighth, a partial record: inadequate in September 2018 and a statutory direction on 1 October
2018). Its other eight neighbours are not in the store. Goodham (903) is in the store but not in the table;
Northamptonshire (928), split in 2021, is in the table with no neighbours listed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.errors import InvalidImport
from intervention_engine.history.neighbours import Position, positions_on, read_council_table, trajectory
from intervention_engine.reports.collect import neighbour_days

from factories import inspection
from shared_data import DATA

D = dt.date
COUNCILS_CSV = DATA / "councils.csv"
# Kirklees's row of councils.csv, written out by hand: stat_neighbours "373, 357, 851, 831, 879, 354, 351, 384,
# 908, 390", most alike first.
KIRKLEES_NEIGHBOURS = [
    ("373", "Sheffield", "Yorkshire and the Humber"),
    ("357", "Tameside", "North West"),
    ("851", "Portsmouth", "South East"),
    ("831", "Derby", "East Midlands"),
    ("879", "Plymouth", "South West"),
    ("354", "Rochdale", "North West"),
    ("351", "Bury", "North West"),
    ("384", "Wakefield", "Yorkshire and the Humber"),
    ("908", "Cornwall", "South West"),
    ("390", "Gateshead", "North East"),
]
PARTIAL = {"record_complete": False}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("neighbours") / "store.sqlite"
    engine = build_engine(Settings(db=db), clock=VirtualClock(D(2014, 1, 1)))
    try:
        for code, name, extra in (("382", "Kirklees", {}), ("373", "Sheffield", PARTIAL), ("384", "Wakefield", PARTIAL),
                                  ("903", "Goodham", {}), ("928", "Northamptonshire", {})):  # fmt: skip
            engine.record(None, {"type": "council_registered", "occurred_on": "2014-01-01", "code": code,
                                 "name": name, **extra})  # fmt: skip
        engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
        engine.record("382", {"type": "improvement_notice_issued", "occurred_on": "2016-12-01"}, strict=False)
        engine.record("373", inspection(D(2015, 6, 1), "good"))
        engine.record("384", inspection(D(2018, 9, 3), "inadequate"))
        engine.record("384", {"type": "statutory_direction_issued", "occurred_on": "2018-10-01",
                              "commissioner_review": False}, strict=False)  # fmt: skip
    finally:
        engine.close()
    return db


def neighbours_json(store: Path, *args: str) -> dict:  # type: ignore[type-arg]
    result = run("neighbours", *args, "--db", str(store), "--councils", str(COUNCILS_CSV), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------------------------------------------
# The table.


def test_the_table_lists_kirklees_ten_neighbours_most_alike_first() -> None:
    table = read_council_table(COUNCILS_CSV)
    kirklees = table.rows["382"]
    assert (kirklees.name, kirklees.ons_code, kirklees.region) == ("Kirklees", "E08000034", "Yorkshire and the Humber")
    assert list(kirklees.neighbours) == [code for code, _, _ in KIRKLEES_NEIGHBOURS]
    assert [(table.rows[c].name, table.rows[c].region) for c in kirklees.neighbours] == [
        (name, region) for _, name, region in KIRKLEES_NEIGHBOURS
    ]
    assert table.rows["928"].neighbours == ()  # Northamptonshire, since split: the table lists none


def test_a_table_naming_a_neighbour_it_does_not_hold_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "councils.csv"
    bad.write_text(
        "la_code,local_authority_ons_name,stat_neighbours,region_name\n"
        '382,Kirklees,"373",Yorkshire and the Humber\n'
        '373,Sheffield,"382, 999",Yorkshire and the Humber\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidImport, match=r"councils.csv, line 3, column stat_neighbours: 999 not in the table"):
        read_council_table(bad)
    bad.write_text("la_code,local_authority_ons_name\n382,Kirklees\n", encoding="utf-8")
    with pytest.raises(InvalidImport, match=r"line 1: missing columns stat_neighbours"):
        read_council_table(bad)


# ----------------------------------------------------------------------------------------------------------------
# neighbours COUNCIL --json.


def test_neighbours_json_lists_the_ten_with_their_states_on_the_day(store: Path) -> None:
    found = neighbours_json(store, "382", "--on", "2018-10-01")
    assert found["on"] == "2018-10-01"
    assert [(n["rank"], n["code"], n["name"], n["region"]) for n in found["neighbours"]] == [
        (rank, code, name, region) for rank, (code, name, region) in enumerate(KIRKLEES_NEIGHBOURS, start=1)
    ]
    sheffield, wakefield = found["neighbours"][0], found["neighbours"][7]
    assert sheffield["state"] == {
        "stage": "good",
        "judgement": {"state": "good", "record": "on_record", "on_record": True},
        "instrument": {"state": "none", "record": "nothing_on_record", "on_record": False},
        "delivery": {"state": "council", "record": "nothing_on_record", "on_record": False},
    }
    assert wakefield["state"] == {  # the direction of 1 October counts at the end of that day
        "stage": "statutory_direction",
        "judgement": {"state": "inadequate", "record": "on_record", "on_record": True},
        "instrument": {"state": "statutory_direction", "record": "on_record", "on_record": True},
        "delivery": {"state": "council", "record": "nothing_on_record", "on_record": False},
    }
    absent = [n["code"] for n in found["neighbours"] if not n["registered"]]
    assert absent == ["357", "851", "831", "879", "354", "351", "908", "390"]
    assert found["neighbours"][1]["state"] == {"stage": None, "registered": False}
    kirklees = found["council"]
    assert (kirklees["rank"], kirklees["code"], kirklees["region"]) == (0, "382", "Yorkshire and the Humber")
    assert kirklees["state"]["instrument"] == {"state": "improvement_notice", "record": "covered", "on_record": True}


def test_the_day_before_a_fact_has_the_state_before_it(store: Path) -> None:
    found = neighbours_json(store, "Kirklees", "--on", "2018-09-30")
    wakefield = found["neighbours"][7]
    assert wakefield["state"]["stage"] == "inadequate"
    assert wakefield["state"]["instrument"] == {"state": "none", "record": "nothing_on_record", "on_record": False}
    assert [step["since"] for step in wakefield["trajectory"]] == ["2014-01-01", "2018-09-03"]


def test_the_trajectory_is_every_change_up_to_the_day(store: Path) -> None:
    engine = build_engine(Settings(db=store), clock=VirtualClock(D(2026, 1, 1)), read_only=True)
    try:
        wakefield, kirklees = engine.timeline("384"), engine.timeline("382")
    finally:
        engine.close()
    assert trajectory(wakefield, D(2026, 1, 1)) == [
        Position(D(2014, 1, 1), "not_inspected", "not_inspected", "none", "council", "nothing_on_record"),
        Position(D(2018, 9, 3), "inadequate", "inadequate", "none", "council", "nothing_on_record"),
        Position(D(2018, 10, 1), "statutory_direction", "inadequate", "statutory_direction", "council", "on_record"),
    ]
    assert trajectory(kirklees, D(2016, 11, 30)) == [  # the notice of 1 December is after the day
        Position(D(2014, 1, 1), "not_inspected", "not_inspected", "none", "council", "covered"),
        Position(D(2016, 11, 25), "inadequate", "inadequate", "none", "council", "covered"),
    ]


def test_neighbours_prints_the_states_and_the_trajectory(store: Path) -> None:
    result = run("neighbours", "382", "--on", "2018-10-01", "--db", str(store), "--councils", str(COUNCILS_CSV))
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "Kirklees (382) and its statistical neighbours on 2018-10-01" in words
    for name, _, _ in [(n, c, r) for c, n, r in KIRKLEES_NEIGHBOURS]:
        assert name[:6] in words
    # Piped, each row is a block of `column: value` lines.
    sheffield = "#: 1\ncouncil: Sheffield (373)\nregion: Yorkshire and the Humber\nstage: good\ngrade: good\n"
    assert sheffield + "instrument: none*\ndelivery: council*\n" in result.output  # its DfE record: nothing on record
    assert "* nothing on record: no source covers this part of the council's record (not the same as none)" in words
    tameside = "#: 2\ncouncil: Tameside (357)\nregion: North West\nstage: not in store\ngrade: -\ninstrument: -\n"
    assert tameside + "delivery: -\n" in result.output  # not in the store
    assert "since: 2016-12-01\nstage: improvement notice\ngrade: inadequate\n" in result.output  # the trajectory


def test_neighbours_draws_the_chart_to_a_file(store: Path, tmp_path: Path) -> None:
    chart = tmp_path / "kirklees.svg"
    result = run("neighbours", "382", "--on", "2020-01-01", "--db", str(store), "--councils", str(COUNCILS_CSV),
                 "--chart", str(chart))  # fmt: skip
    assert result.exit_code == 0, result.output
    svg = chart.read_text(encoding="utf-8")
    assert "Kirklees and its statistical neighbours: stage over time, to 1 January 2020" in svg
    assert "8. Wakefield" in svg
    assert "nothing on record for the DfE instrument and delivery" in svg  # Sheffield's and Wakefield's silence


def test_a_council_the_table_lists_no_neighbours_for_says_so(store: Path) -> None:
    assert neighbours_json(store, "928", "--on", "2020-01-01")["neighbours"] == []
    result = run("neighbours", "928", "--db", str(store), "--councils", str(COUNCILS_CSV))
    assert result.exit_code == 0, result.output
    assert "the council identity table lists no statistical neighbours for Northamptonshire" in " ".join(
        result.output.split()
    )


# ----------------------------------------------------------------------------------------------------------------
# Refused.


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["Atlantis"], 3, "council 'Atlantis' is not registered"),
        (["903"], 2, "council '903' is not in the council identity table"),
        (["382", "--on", "2018-02-30"], 2, "--on '2018-02-30' is not a date"),
        (["382", "--chart", "out.gif"], 2, "the file name must end in .svg, .png, .pdf"),
        (["382", "--chart", "no/such/folder/out.svg"], 2, "folder no/such/folder does not exist"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("neighbours", *args, "--db", str(store), "--councils", str(COUNCILS_CSV))
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_missing_council_table_is_named(store: Path, tmp_path: Path) -> None:
    result = run("neighbours", "382", "--db", str(store), "--councils", str(tmp_path / "councils.csv"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'councils.csv'}: cannot be read: No such file or directory" in result.stderr


def test_the_trajectory_changes_where_a_source_stops_covering_the_dfe_record() -> None:
    """A partial record with one research timeline covering 2015: the DfE record is covered from its first day to
    its last, nothing on record on the day after, with no fact on either day."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2014, 1, 1)))
    try:
        engine.record(None, {"type": "council_registered", "occurred_on": "2014-01-01", "code": "801",
                             "name": "Partialshire", **PARTIAL})  # fmt: skip
        engine.record("801", {"type": "coverage_declared", "occurred_on": "2014-01-01", "covers_from": "2015-01-01",
                              "covers_until": "2015-12-31", "regions": ["instrument", "delivery"],
                              "source": "partialshire.yaml"})  # fmt: skip
        engine.record("801", inspection(D(2016, 3, 1), "good"))
        entries = engine.timeline("801")
    finally:
        engine.close()
    assert trajectory(entries, D(2017, 1, 1)) == [
        Position(D(2014, 1, 1), "not_inspected", "not_inspected", "none", "council", "nothing_on_record"),
        Position(D(2015, 1, 1), "not_inspected", "not_inspected", "none", "council", "covered"),
        Position(D(2016, 1, 1), "not_inspected", "not_inspected", "none", "council", "nothing_on_record"),
        Position(D(2016, 3, 1), "good", "good", "none", "council", "nothing_on_record"),
    ]
    assert trajectory(entries, D(2015, 12, 31))[-1].dfe_record == "covered"  # its last day is covered
    assert positions_on(entries, [D(2013, 12, 31), D(2015, 12, 31), D(2016, 1, 1)]) == [
        None,  # not yet registered
        Position(D(2015, 12, 31), "not_inspected", "not_inspected", "none", "council", "covered"),
        Position(D(2016, 1, 1), "not_inspected", "not_inspected", "none", "council", "nothing_on_record"),
    ]


@pytest.mark.parametrize(
    ("until", "days"),
    [
        (D(2016, 3, 31), [D(2014, 3, 31), D(2015, 3, 31), D(2016, 3, 31)]),  # the last day is a 31 March: once
        (D(2016, 3, 30), [D(2014, 3, 31), D(2015, 3, 31), D(2016, 3, 30)]),
        (D(2016, 4, 1), [D(2014, 3, 31), D(2015, 3, 31), D(2016, 3, 31), D(2016, 4, 1)]),
    ],
)
def test_the_report_grid_shows_every_31_march_and_the_last_day(until: D, days: list[D]) -> None:
    assert neighbour_days(until) == days


def test_a_notice_lifted_keeps_the_dfe_record_on_record_in_the_trajectory_as_in_the_state() -> None:
    """A partial record: an improvement notice issued on 10 January 2017 and lifted on 1 March 2019. After the lift
    the instrument is back in its default state, but a fact on record put it there (DESIGN decision 12): the state
    (`projections.status.region_record`) says on record, and so must the trajectory, the report's panels and the
    neighbours' chart read off it (before, the trajectory said nothing on record, its own rule of default states)."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2014, 1, 1)))
    try:
        engine.record(None, {"type": "council_registered", "occurred_on": "2014-01-01", "code": "801",
                             "name": "Partialshire", **PARTIAL})  # fmt: skip
        engine.record("801", {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}, strict=False)
        engine.record("801", {"type": "improvement_notice_lifted", "occurred_on": "2019-03-01"}, strict=False)
        record = {day: engine.state("801", as_of=day).record for day in (D(2017, 1, 9), D(2019, 3, 1))}
        entries = engine.timeline("801")
    finally:
        engine.close()
    assert record[D(2017, 1, 9)]["instrument"] == "nothing_on_record"
    assert record[D(2019, 3, 1)]["instrument"] == "on_record"
    assert record[D(2019, 3, 1)]["delivery"] == "nothing_on_record"
    assert trajectory(entries, D(2020, 1, 1)) == [
        Position(D(2014, 1, 1), "not_inspected", "not_inspected", "none", "council", "nothing_on_record"),
        Position(D(2017, 1, 10), "improvement_notice", "not_inspected", "improvement_notice", "council", "on_record"),
        # Support and supervision after the lift: the stage is `returned`.
        Position(D(2019, 3, 1), "returned", "not_inspected", "none", "council", "on_record"),
    ]
    assert [position.dfe_record for position in positions_on(entries, [D(2017, 1, 9), D(2019, 3, 1)]) if position] == [
        "nothing_on_record", "on_record",
    ]  # fmt: skip
