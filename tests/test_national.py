"""The national record replayed: counts by grade match the CSV, persistent failure is found, bad rows are refused."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from intervention_engine import InterventionEngine, InvalidImport, Settings, VirtualClock, build_engine
from intervention_engine.history.national import replay_record
from intervention_engine.history.ofsted_csv import read_ofsted_csv

from shared_data import DATA, OFSTED_CSV

GRADED = {"SIF", "SIF re-inspection", "ILACS"}
GRADE = {"requires improvement": "requires_improvement", "not_reported_post_reform": "ungraded"}
END = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    path = OFSTED_CSV
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests need ../shared/data beside the project")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["framework"] in GRADED]


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InterventionEngine]:
    data = DATA
    engine = build_engine(
        Settings(db=tmp_path_factory.mktemp("national") / "national.sqlite"), clock=VirtualClock(dt.date(2013, 1, 1))
    )
    report = replay_record(engine, ofsted=read_ofsted_csv(data / "ofsted_inspections.csv"), until=END)
    assert len(report.councils) == 153
    assert report.facts == 488
    yield engine
    engine.close()


def _grades_from_csv(rows: list[dict[str, str]], on: dt.date) -> Counter[str]:
    latest: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row["publication_date"] <= on.isoformat():
            latest[row["urn"]] = max(latest.get(row["urn"], ("", "")), (row["publication_date"], row["overall"]))
    counts = Counter(GRADE.get(overall, overall) for _, overall in latest.values())
    counts["not_inspected"] += len({row["urn"] for row in rows}) - len(latest)
    return +counts


@pytest.mark.parametrize("year", range(2015, 2027))
def test_national_grades_on_31_march_match_the_csv(
    national: InterventionEngine, csv_rows: list[dict[str, str]], year: int
) -> None:
    on = dt.date(year, 3, 31)
    [count] = national.national([on])
    assert count.councils == 153
    assert Counter(count.grades) == _grades_from_csv(csv_rows, on)


def _inadequate_twice_within_five_years(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    by_council: dict[str, list[str]] = {}
    for row in rows:
        if row["overall"] == "inadequate":
            by_council.setdefault(row["local_authority"], []).append(row["publication_date"])
    found = set()
    for council, dates in by_council.items():
        dates.sort()
        for earlier, later in itertools.pairwise(dates):
            if dt.date.fromisoformat(later) < dt.date.fromisoformat(earlier).replace(year=int(earlier[:4]) + 5):
                found.add((council, later))
    return found


def test_the_replay_finds_every_persistent_failure_in_the_csv(
    national: InterventionEngine, csv_rows: list[dict[str, str]]
) -> None:
    expected = _inadequate_twice_within_five_years(csv_rows)
    assert expected, "the CSV holds councils inadequate twice within five years"
    found = set()
    for code, name in national.councils():
        for entry in national.timeline(code):
            if entry.event == "ExpectationOpened" and "persistent failure" in entry.data["expected"]:
                found.add((name.casefold(), entry.occurred_on))
    assert found == expected


def _broken_copy(tmp_path: Path, line: int, column: str, value: str) -> Path:
    data = DATA
    shutil.copy(data / "councils.csv", tmp_path / "councils.csv")
    with (data / "ofsted_inspections.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[line - 2][column] = value
    target = tmp_path / "ofsted_inspections.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("publication_date", "2019-02-30", r"line 3: .*column publication_date: .*day value is outside expected range"),
        ("urn", "99999", r"line 3, column urn: unknown council '99999'"),
        ("help_and_protection", "adequate", r"line 3, column help_and_protection: unknown grade 'adequate'"),
    ],
)
def test_a_bad_row_is_refused_with_its_place_and_nothing_is_recorded(
    tmp_path: Path, column: str, value: str, message: str
) -> None:
    broken = _broken_copy(tmp_path, 3, column, value)
    engine = build_engine(Settings(db=tmp_path / "store.sqlite"), clock=VirtualClock(dt.date(2013, 1, 1)))
    with pytest.raises(InvalidImport, match=message):
        replay_record(engine, ofsted=read_ofsted_csv(broken), until=END)
    assert engine.store.recorder.max_notification_id() is None
    engine.close()
