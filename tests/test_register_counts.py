"""Councils in DfE intervention on 31 March, counted straight from the register's rows, and the engine's counts of the
same register replayed alone: where the register is the only DfE source, they are equal (issue 10, acceptance)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.history.national import replay_record
from intervention_engine.history.register import read_register
from intervention_engine.reports.register_counts import engine_counts, register_counts, year_end

from shared_data import DATA

REGISTER = DATA / "dfe_interventions.csv"
README = Path(__file__).resolve().parents[1] / "README.md"
HEADER = "council,la_code,fact,occurred_on,detail,form,service_area,source,confidence\n"
ROWS = (
    "Kirklees,382,improvement_notice_issued,2016-05,,,children_social_care,s,high",
    "Kirklees,382,improvement_notice_lifted,2018-04-01,,,children_social_care,s,high",  # the day after 31 March
    "Leeds,383,statutory_direction_issued,2017-03-31,,,children_social_care,s,high",  # on 31 March itself
    "Leeds,383,improvement_notice_issued,2017-06-01,,,children_social_care,s,high",  # under a direction: no change
    "Leeds,383,statutory_direction_revoked,2019,,,children_social_care,s,high",  # a year: from 1 January
    "Barnet,302,commissioner_appointed,2018-04-01,,,children_social_care,s,high",  # a direction implied
    "Slough,871,alternative_delivery_live,2015-10-01,trust,partnership_trust,children_social_care,s,high",
    "Slough,871,alternative_delivery_ended,2020-03-31,,,children_social_care,s,high",  # ended on 31 March
    "Bournemouth Christchurch and Poole,839,statutory_direction_issued,2016-01-01,,,send,s,high",  # not a move
)
# 31 March of 2015 to 2020: who is in intervention, by hand from the rows above.
EXPECTED = {
    2015: 0,  # Slough's trust goes live in October 2015
    2016: 1,  # Slough; Kirklees' notice comes in May
    2017: 3,  # Kirklees, Leeds (directed that day), Slough
    2018: 3,  # Kirklees (lifted on 1 April), Leeds, Slough; Barnet's commissioner comes on 1 April
    2019: 2,  # Barnet, Slough; Leeds' direction revoked in 2019
    2020: 1,  # Barnet; Slough's services back with the council that day
}


def small_register(tmp_path: Path) -> Path:
    shutil.copy(DATA / "councils.csv", tmp_path / "councils.csv")
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in ROWS), encoding="utf-8")
    return path


def replayed_alone(path: Path, years: list[int]) -> dict[int, tuple[int, bool]]:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
    try:
        replay_record(engine, register=read_register(path), until=year_end(max(years)))
        return engine_counts(engine, years)
    finally:
        engine.close()


def test_the_registers_rows_give_the_councils_in_intervention_on_31_march(tmp_path: Path) -> None:
    assert register_counts(small_register(tmp_path), EXPECTED) == EXPECTED


def test_the_engine_replaying_the_small_register_alone_counts_the_same_floors(tmp_path: Path) -> None:
    counts = replayed_alone(small_register(tmp_path), list(EXPECTED))
    assert counts == {year: (number, True) for year, number in EXPECTED.items()}  # the register covers nothing


def test_the_engines_counts_equal_the_registers_on_every_31_march() -> None:
    years = list(range(2009, 2027))
    by_engine = replayed_alone(REGISTER, years)
    assert {year: count for year, (count, _) in by_engine.items()} == register_counts(REGISTER, years)
    assert all(floor for _, floor in by_engine.values())


def test_the_readme_table_is_what_the_command_prints_for_the_register(tmp_path: Path) -> None:
    """The README's table: its register and engine columns are what the command prints (the last column needs the
    demo's store, here a store of the register alone stands in, so every count is a floor)."""
    db = tmp_path / "store.sqlite"
    engine = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(dt.date(2000, 1, 1)))
    try:
        replay_record(engine, register=read_register(REGISTER), until=dt.date(2026, 3, 31))
    finally:
        engine.close()
    result = CliRunner().invoke(app, ["register-counts", str(REGISTER), "--db", str(db)])
    assert result.exit_code == 0, result.output
    printed = result.stdout.splitlines()
    assert printed[0] == "| 31 March | register's rows | engine, register alone | engine, every source |"
    assert "| 2020 | 33 | 33 | at least 33 |" in printed
    readme = README.read_text(encoding="utf-8")
    assert "intervention-engine register-counts ../shared/data/dfe_interventions.csv" in readme
    shown = re.findall(r"^ *\| (\d{4}) \| (\d+) \| (\d+) \| at least \d+ \|$", readme, flags=re.MULTILINE)
    computed = [tuple(line.split(" | ")[:3]) for line in (row.strip("| ") for row in printed[2:])]
    assert shown == computed
