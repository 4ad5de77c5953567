"""The council identity table (`councils.csv`) has one reader (`projections.identity.read_identity_rows`), and each
call path reads it once: a store's identities come from the council index's registrations (the store's events are
not read again), and the real record's sources (the Ofsted CSV, the DfE register, the research timelines) find their
councils in one reading of the table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.errors import InvalidImport
from intervention_engine.history.council_names import read_councils
from intervention_engine.history.neighbours import read_council_table
from intervention_engine.projections.identity import NO_REGION, CouncilIdentity, council_identities
from intervention_engine.simulation import RealRecord

from shared_data import DATA, OFSTED_CSV

TABLE = (
    "urn,la_code,la_code_new,local_authority_ons_name,region_name,stat_neighbours\n"
    "80487,302,E09000003,Barnet,London,382\n"
    "80478,382,E08000034,Kirklees,Yorkshire and the Humber,302\n"
)


def opens_of(monkeypatch: pytest.MonkeyPatch, name: str) -> list[tuple[Path, str]]:
    """Every file named `name` opened from now on, and how: "r" (read as text) or "rb" (a spy on `Path.open`)."""
    opened: list[tuple[Path, str]] = []
    real = Path.open

    def spy(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.name == name:
            opened.append((self, mode))
        return real(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    return opened


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[InterventionEngine]:
    built = build_engine(
        Settings(backend="sqlite", db=tmp_path / "store.sqlite"), clock=VirtualClock(dt.date(2018, 1, 1))
    )
    built.record(None, {"type": "council_registered", "occurred_on": "2018-01-01", "code": "382", "name": "Kirklees",
                        "ons_code": "E08000034", "region": "Yorkshire and the Humber"})  # fmt: skip
    built.record(None, {"type": "council_registered", "occurred_on": "2018-01-01", "code": "302", "name": "Barnet"})
    built.record(None, {"type": "council_registered", "occurred_on": "2018-01-01", "code": "903", "name": "Goodham"})
    yield built
    built.close()


def test_identities_come_from_the_index_and_one_reading_of_the_table(
    engine: InterventionEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = tmp_path / "councils.csv"
    table.write_text(TABLE, encoding="utf-8")
    engine.index.refresh()
    opened = opens_of(monkeypatch, "councils.csv")
    reads: list[Any] = []
    real_get = engine.store.events.get
    monkeypatch.setattr(engine.store.events, "get", lambda *a, **k: reads.append(a) or real_get(*a, **k))
    found = {identity.code: identity for identity in council_identities(engine.index, table).values()}
    assert found == {
        # Kirklees's registration names its ONS code and region; Barnet's does not: the table gives them.
        "302": CouncilIdentity("302", "E09000003", "Barnet", "London"),
        "382": CouncilIdentity("382", "E08000034", "Kirklees", "Yorkshire and the Humber"),
        # Goodham is in neither: no ONS code, no region, never a guess.
        "903": CouncilIdentity("903", None, "Goodham", NO_REGION),
    }
    assert (len(opened), reads) == (1, [])


def test_every_reader_refuses_a_table_without_its_columns_in_one_line(tmp_path: Path) -> None:
    table = tmp_path / "councils.csv"
    table.write_text("la_code,local_authority_ons_name\n302,Barnet\n", encoding="utf-8")
    with pytest.raises(InvalidImport, match=r"^.*councils.csv, line 1: missing columns stat_neighbours \(a council"):
        read_council_table(table)
    with pytest.raises(InvalidImport, match=r"^.*councils.csv, line 1: missing columns urn \(a council identity"):
        read_councils(table)
    table.write_text("", encoding="utf-8")  # not even a header
    with pytest.raises(InvalidImport, match=r"line 1: missing columns la_code, local_authority_ons_name, urn"):
        read_councils(table)


def test_the_real_record_reads_the_council_table_once_for_all_its_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = opens_of(monkeypatch, "councils.csv")
    timelines = [DATA / "timelines" / "kirklees.yaml", DATA / "timelines" / "barnet.yaml"]
    record = RealRecord.load(OFSTED_CSV, register=DATA / "dfe_interventions.csv", timelines=timelines)
    # Read once for its rows (before: for the CSV, the register and each timeline, 4 times), and once for the digest
    # the record's provenance keeps.
    assert opened == [(DATA / "councils.csv", "r"), (DATA / "councils.csv", "rb")]
    assert [timeline.registration.code for timeline in record.timelines] == ["382", "302"]
    assert record.ofsted.councils["382"].name == "Kirklees"
    assert record.register is not None
    assert "382" in record.register.registrations


def test_replay_reads_the_council_table_once_and_gathers_the_sources_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`replay --councils` read the table for each timeline and source, and gathered the sources twice (once to
    count them for the progress bar, once to replay them)."""
    from typer.testing import CliRunner

    from intervention_engine.cli import app
    from intervention_engine.history import national

    opened = opens_of(monkeypatch, "councils.csv")
    gathered: list[int] = []
    real_gather = national.gather
    monkeypatch.setattr(national, "gather", lambda *a: (found := real_gather(*a), gathered.append(len(found)))[0])
    timelines = [str(DATA / "timelines" / "kirklees.yaml"), str(DATA / "timelines" / "barnet.yaml")]
    done = CliRunner().invoke(app, ["replay", *timelines, "--councils", str(DATA / "councils.csv"),
                                    "--db", str(tmp_path / "replayed.sqlite"), "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert opened == [(DATA / "councils.csv", "r")]
    assert gathered == [2]
