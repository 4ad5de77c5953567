"""Tidy exports (issue 13): every table of the store written as CSV and as Parquet, read back with pandas and
pyarrow, its columns, types and rows checked against the store.

The store: Kirklees (382, registered 1 January 2018 with its ONS code and region, its whole record kept) judged
inadequate on 1 June 2018, every key judgement inadequate, so the DfE expects a statutory direction with a
commissioner by 1 December 2018 (DFE-03) and none comes: a missed expectation. Barnet (302) is registered on
15 June 2018 by a source that keeps only part of its record, without ONS code or region; the council identity
table gives them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from intervention_engine.bootstrap import build_engine
from intervention_engine.cli import app
from intervention_engine.clock import VirtualClock
from intervention_engine.engine import InterventionEngine
from intervention_engine.projections.exports import STORE_TABLES, TABLES, InvalidExport, data_dictionary, write_export
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.settings import Settings

from factories import inspection, registration
from http_service import READER, TOKENS, auth
from shared_data import DATA

D = dt.date
UNTIL = D(2018, 12, 31)
DAYS = [D(2018, 3, 31), D(2018, 12, 31)]
IDENTITY_TABLE = (
    "urn,la_code,la_code_new,local_authority_ons_name,region_name\n"
    "80487,302,E09000003,Barnet,London\n"
    "80478,382,E08000034,Kirklees,Yorkshire and the Humber\n"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "exports.sqlite"


@pytest.fixture
def councils_csv(tmp_path: Path) -> Path:
    path = tmp_path / "councils.csv"
    path.write_text(IDENTITY_TABLE, encoding="utf-8")
    return path


@pytest.fixture
def engine(db: Path) -> Iterator[InterventionEngine]:
    built = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(D(2018, 1, 1)))
    kirklees = registration(on="2018-01-01") | {"ons_code": "E08000034", "region": "Yorkshire and the Humber"}
    built.record(None, kirklees)
    built.record("382", inspection(D(2018, 6, 1), "inadequate"))
    built.record(None, registration("302", "Barnet", "2018-06-15") | {"record_complete": False})
    built.advance_to(D(2019, 1, 1))
    yield built
    built.close()


def store_counts(engine: InterventionEngine) -> dict[str, int]:
    """Rows each table should have: by hand where the store is small enough to count, else from the store."""
    audit = [entry for code in ("302", "382") for entry in engine.audit(code)]
    return {
        "facts": 3,  # two registrations and one report
        "events": len(audit),
        "states": 7 + 12,  # Barnet June to December, Kirklees January to December
        "timers": sum(entry.event == "TimerScheduled" for entry in audit),
        "expectations": sum(entry.event == "ExpectationOpened" for entry in audit),
        "deviations": 1,  # the commissioner DFE-03 expected by 1 December
        "national": 2 * 3 * 13,  # two dates, England and two regions, thirteen stages
    }


def read_csv(path: Path, table: str) -> pd.DataFrame:
    dates = [c.name for c in TABLES[table].columns if c.type in ("date", "timestamp")]
    return pd.read_csv(path, parse_dates=dates, dtype={"council": str}, keep_default_na=False, na_values=[""])


# ----------------------------------------------------------------------------------------------------------------
# Every table, both formats.


@pytest.mark.parametrize("table", STORE_TABLES)
def test_every_table_reads_back_from_parquet_with_its_columns_types_and_rows(
    engine: InterventionEngine, councils_csv: Path, tmp_path: Path, table: str
) -> None:
    found = engine.export(table, until=UNTIL, days=DAYS, councils_csv=councils_csv)
    out = tmp_path / f"{table}.parquet"
    assert write_export(found, "parquet", out) == store_counts(engine)[table]
    read = pq.read_table(out)
    assert read.num_rows == store_counts(engine)[table]
    assert tuple(read.schema.names) == TABLES[table].names
    arrow = {"date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"), "string": pa.string(),
             "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_()}  # fmt: skip
    assert [read.schema.field(c.name).type for c in TABLES[table].columns] == [
        arrow[c.type] for c in found.spec.columns
    ]


@pytest.mark.parametrize("table", STORE_TABLES)
def test_every_table_reads_back_from_csv_with_typed_dates(
    engine: InterventionEngine, councils_csv: Path, tmp_path: Path, table: str
) -> None:
    out = tmp_path / f"{table}.csv"
    write_export(engine.export(table, until=UNTIL, days=DAYS, councils_csv=councils_csv), "csv", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its byte-order mark
    frame = read_csv(out, table)
    assert len(frame) == store_counts(engine)[table]
    assert tuple(frame.columns) == TABLES[table].names
    for column in TABLES[table].columns:
        kind = str(frame[column.name].dtype)
        if column.type in ("date", "timestamp"):
            assert kind.startswith("datetime64"), (column.name, kind)
        elif column.type == "integer":
            assert kind == "int64", (column.name, kind)
        elif column.type == "boolean":
            assert kind == "bool", (column.name, kind)


# ----------------------------------------------------------------------------------------------------------------
# What the rows say.


def test_states_name_each_council_four_ways_and_what_its_record_says(
    engine: InterventionEngine, councils_csv: Path
) -> None:
    rows = list(engine.export("states", until=UNTIL, councils_csv=councils_csv).rows)
    barnet = [row for row in rows if row[0] == "302"]
    assert [row[4] for row in barnet] == [
        D(2018, 6, 30), D(2018, 7, 31), D(2018, 8, 31), D(2018, 9, 30), D(2018, 10, 31), D(2018, 11, 30),
        D(2018, 12, 31),
    ]  # fmt: skip
    assert barnet[0] == (
        "302", "E09000003", "Barnet", "London", D(2018, 6, 30), "not_inspected",
        "not_inspected", "none", "council", "none",
        "nothing_on_record", "nothing_on_record", "nothing_on_record", "nothing_on_record",
    )  # fmt: skip
    kirklees = {row[4]: row for row in rows if row[0] == "382"}
    assert kirklees[D(2018, 5, 31)][5] == "not_inspected"
    assert kirklees[D(2018, 6, 30)] == (
        "382", "E08000034", "Kirklees", "Yorkshire and the Humber", D(2018, 6, 30), "inadequate",
        "inadequate", "none", "council", "none", "covered", "covered", "covered", "covered",
    )  # fmt: skip


def test_without_the_identity_table_a_council_registered_without_them_has_no_ons_code_or_region(
    engine: InterventionEngine,
) -> None:
    barnet = next(row for row in engine.export("facts").rows if row[0] == "302")
    assert barnet[:4] == ("302", None, "Barnet", "no region on record")


def test_facts_rows(engine: InterventionEngine, councils_csv: Path) -> None:
    rows = list(engine.export("facts", councils_csv=councils_csv).rows)
    assert [(row[0], row[4], row[5], row[8]) for row in rows] == [
        ("302", 1, D(2018, 6, 15), "council_registered"),
        ("382", 1, D(2018, 1, 1), "council_registered"),
        ("382", 2, D(2018, 6, 1), "inspection_published"),
    ]
    report = rows[2]
    assert report[6] == "day"
    assert report[7].tzinfo is not None
    assert report[12:18] == (False, "inadequate", "inadequate", "none", "council", "none")


def test_the_missed_expectation_is_a_deviation_row(engine: InterventionEngine) -> None:
    (row,) = engine.export("deviations").rows
    assert row[:4] == ("382", "E08000034", "Kirklees", "Yorkshire and the Humber")
    assert (row[4], row[6], row[7]) == (D(2018, 12, 1), "missed", "DFE-03")


def test_national_counts_carry_the_coverage_of_each_region(engine: InterventionEngine, councils_csv: Path) -> None:
    rows = list(engine.export("national", days=DAYS, councils_csv=councils_csv).rows)
    by_key = {(row[0], row[1], row[2]): row[3:] for row in rows}
    # 31 March 2018: Barnet is not registered yet, so counted as not inspected and not covered.
    assert by_key[D(2018, 3, 31), "England", "not_inspected"] == (2, 1, 2, 1)
    assert by_key[D(2018, 3, 31), "London", "not_inspected"] == (1, 0, 1, 0)
    assert by_key[D(2018, 12, 31), "England", "inadequate"] == (1, 1, 2, 1)
    assert by_key[D(2018, 12, 31), "Yorkshire and the Humber", "inadequate"] == (1, 1, 1, 1)
    assert by_key[D(2018, 12, 31), "London", "inadequate"] == (0, 0, 1, 0)
    assert [row[1] for row in rows[::13]] == ["England", "London", "Yorkshire and the Humber"] * 2


def test_national_by_region_in_python(engine: InterventionEngine, councils_csv: Path) -> None:
    counts = engine.national([D(2018, 12, 31)], by_region=True, councils_csv=councils_csv)
    assert [(c.region, c.councils, c.stages, c.dfe_record_covered, c.in_intervention) for c in counts] == [
        ("London", 1, {"not_inspected": 1}, 0, 0),
        ("Yorkshire and the Humber", 1, {"inadequate": 1}, 1, 0),
    ]
    assert counts[0].to_dict()["region"] == "London"
    assert counts[0].to_dict()["in_intervention"]["at_least"] is True


# ----------------------------------------------------------------------------------------------------------------
# The data dictionary.


def test_docs_exports_md_holds_the_data_dictionary() -> None:
    text = (Path(__file__).parent.parent / "docs" / "exports.md").read_text(encoding="utf-8")
    start, end = "<!-- data dictionary: generated -->\n", "<!-- end of data dictionary -->"
    assert text[text.index(start) + len(start) : text.index(end)].strip() == data_dictionary().strip()


# ----------------------------------------------------------------------------------------------------------------
# The command line.


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_on_the_command_line_writes_the_file_and_says_so(
    engine: InterventionEngine, db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "states.parquet"
    code, _, err = cli("export", "states", "--format", "parquet", "--out", str(out), "--until", "2018-12-31",
                       "--db", str(db))  # fmt: skip
    assert (code, err) == (0, f"states: 19 rows written to {out}\n")
    assert pq.read_table(out).num_rows == 19


def test_export_csv_to_standard_output(engine: InterventionEngine, db: Path) -> None:
    code, out, _ = cli("export", "deviations", "--db", str(db))
    frame = pd.read_csv(io.StringIO(out.lstrip("\ufeff")), dtype={"council": str})
    assert code == 0
    assert list(frame["council"]) == ["382"]
    assert list(frame["occurred_on"]) == ["2018-12-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "fact"], "Error: unknown table 'fact'; tables: " + ", ".join(TABLES)),
        (["export", "states", "--format", "xlsx"], "Error: unknown format 'xlsx'; formats: csv, parquet"),
        (["export", "states", "--out", "missing/states.csv"], "Error: cannot write missing/states.csv: no folder"),
    ],
)
def test_bad_exports_are_refused_in_one_line_with_exit_2_and_write_nothing(
    engine: InterventionEngine, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.iterdir())
    code, out, err = cli(*args, "--db", str(db))
    assert (code, out) == (2, "")
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert sorted(tmp_path.iterdir()) == before


def test_write_export_leaves_nothing_when_the_folder_is_missing(engine: InterventionEngine, tmp_path: Path) -> None:
    with pytest.raises(InvalidExport, match="no folder"):
        write_export(engine.export("facts"), "csv", tmp_path / "nowhere" / "facts.csv")
    assert not (tmp_path / "nowhere").exists()


# ----------------------------------------------------------------------------------------------------------------
# HTTP.


@pytest.fixture
def client(engine: InterventionEngine) -> Iterator[TestClient]:
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    with TestClient(create_app(engine, tokens=tokens)) as served:
        yield served


def test_http_export_as_csv_and_as_parquet(client: TestClient) -> None:
    as_csv = client.get("/exports/facts", headers={**auth(READER), "Accept": "text/csv"})
    as_parquet = client.get("/exports/facts", headers={**auth(READER), "Accept": "application/vnd.apache.parquet"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="facts.csv"'
    assert len(pd.read_csv(io.BytesIO(as_csv.content))) == 3
    assert as_parquet.status_code == 200
    assert as_parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert pq.read_table(io.BytesIO(as_parquet.content)).num_rows == 3


def test_http_national_on_dates(client: TestClient) -> None:
    found = client.get("/exports/national", params={"on": ["2018-12-31"]}, headers=auth(READER))
    frame = pd.read_csv(io.BytesIO(found.content))
    # Without the identity table Barnet's region is not on record: England and two groups, thirteen stages.
    assert len(frame) == 3 * 13
    assert sorted(set(frame["region"])) == ["England", "Yorkshire and the Humber", "no region on record"]


def test_http_national_by_region(client: TestClient) -> None:
    found = client.get("/national", params={"on": ["2018-12-31"], "by": "region"}, headers=auth(READER))
    assert found.status_code == 200
    assert [(c["region"], c["councils"], c["stages"], c["dfe_record_covered"]) for c in found.json()] == [
        ("Yorkshire and the Humber", 1, {"inadequate": 1}, 1),
        ("no region on record", 1, {"not_inspected": 1}, 0),
    ]
    assert client.get("/national", params={"by": "county"}, headers=auth(READER)).status_code == 422


def test_http_export_refuses_an_unknown_table_and_format(client: TestClient) -> None:
    unknown = client.get("/exports/fact", headers=auth(READER))
    json_asked = client.get("/exports/facts", headers={**auth(READER), "Accept": "application/json"})
    nobody = client.get("/exports/facts")
    assert unknown.status_code == 422
    assert json_asked.status_code == 406
    assert json_asked.json()["message"].startswith("Accept 'application/json' names no format of this table")
    assert nobody.status_code == 401


# ----------------------------------------------------------------------------------------------------------------
# The simulated tables.


@pytest.mark.slow
def test_simulation_export_has_every_variant_run_month_and_stage(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "simulation.parquet"
    code, _, err = cli("export", "simulation", "--format", "parquet", "--out", str(out),
                       "--ofsted-csv", str(shared_data / "ofsted_inspections.csv"), "--from", "2025-01-01",
                       "--years", "1", "--runs", "3", "--policy", "dfe-2016-07", "--policy", "dfe-2022",
                       "--workers", "0")  # fmt: skip
    assert code == 0, err
    frame = pq.read_table(out).to_pandas()
    assert len(frame) == 2 * 3 * 13 * 13  # variants x runs x (the first day and 12 months after) x stages
    assert sorted(set(frame["variant"])) == ["dfe-2016-07", "dfe-2022"]
    assert sorted(set(frame["run"])) == [0, 1, 2]
    assert frame["month"].iloc[0] == D(2025, 1, 1)
    totals = frame.groupby(["variant", "run", "month"])["councils"].sum()
    assert set(totals) == {153}  # every council of the record is in exactly one stage


@pytest.mark.slow
def test_backtest_export_sets_the_record_beside_the_band(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "backtest.csv"
    record = str(shared_data / "ofsted_inspections.csv")
    code, _, err = cli("export", "backtest", "--out", str(out), "--ofsted-csv", record,
                       "--from", "2018-01-01", "--to", "2019-12-31", "--runs", "5", "--workers", "0")  # fmt: skip
    assert code == 0, err
    frame = read_csv(out, "backtest")
    quantities = ["judged_inadequate", "improvement_notice", "statutory_direction", "alternative_delivery"]
    pairs = list(zip(frame["quantity"], frame["year"], strict=True))
    assert sorted(pairs) == sorted((q, y) for q in quantities for y in (2018, 2019))
    assert set(frame["origin"]) == {pd.Timestamp(2018, 1, 1)}
    inadequate = frame[frame["quantity"] == "judged_inadequate"]
    assert list(inadequate["record"]) == [latest_inadequate(shared_data, D(y, 3, 31)) for y in (2018, 2019)]
    assert list(inadequate["record_complete"]) == [True, True]  # Ofsted's CSV covers every council
    assert list(frame["councils"]) == [153] * 8
    assert list(frame["runs"]) == [5] * 8
    for lower, upper in (("p5", "p25"), ("p25", "p50"), ("p50", "p75"), ("p75", "p95")):
        assert (frame[lower] <= frame[upper]).all(), (lower, upper)
    assert list(frame["inside_90"]) == [
        p5 <= a <= p95 for a, p5, p95 in zip(frame["record"], frame["p5"], frame["p95"], strict=True)
    ]
    assert list(frame["inside_50"]) == [
        p25 <= a <= p75 for a, p25, p75 in zip(frame["record"], frame["p25"], frame["p75"], strict=True)
    ]
    assert (frame[["crps", "crps_persistence", "crps_climatology", "interval_score_90"]] >= 0).all().all()


def latest_inadequate(shared_data: Path, day: dt.date) -> int:
    """Councils whose latest graded inspection published by `day` is inadequate, counted with pandas from the CSV."""
    csv = pd.read_csv(shared_data / "ofsted_inspections.csv", parse_dates=["publication_date"])
    graded = csv[csv["overall"].notna() & (csv["publication_date"] <= pd.Timestamp(day))]
    latest = graded.sort_values("publication_date").groupby("local_authority").tail(1)
    return int((latest["overall"] == "inadequate").sum())


def test_a_simulated_table_without_the_record_is_refused(tmp_path: Path) -> None:
    code, _, err = cli("export", "backtest", "--out", str(tmp_path / "b.csv"))
    assert (code, err) == (2, "Error: table 'backtest' is simulated from the record: give --ofsted-csv FILE\n")
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------------------------------------
# The national record (issue 13's acceptance: after a replay of the record, pandas reads the states with typed dates).

# Councils of the Ofsted CSV by region of the council identity table (153 councils; counted with pandas by hand).
REGION_COUNCILS = {
    "East Midlands": 10, "East of England": 11, "London": 33, "North East": 12, "North West": 24, "South East": 19,
    "South West": 15, "West Midlands": 14, "Yorkshire and the Humber": 15,
}  # fmt: skip


@pytest.fixture(scope="module")
def national_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("national") / "national.sqlite"
    code, _, err = cli("replay", "--ofsted-csv", str(DATA / "ofsted_inspections.csv"),
                       "--as-of", "2020-03-31", "--db", str(db), "--json")  # fmt: skip
    assert code == 0, err
    return db


@pytest.mark.slow
def test_states_of_the_national_record_read_back_with_typed_dates(national_db: Path, tmp_path: Path) -> None:
    for format in ("csv", "parquet"):
        out = tmp_path / f"states.{format}"
        code, _, err = cli("export", "states", "--format", format, "--out", str(out), "--until", "2020-03-31",
                           "--db", str(national_db))  # fmt: skip
        assert code == 0, err
        frame = read_csv(out, "states") if format == "csv" else pd.read_parquet(out)
        # The national replay registers every council on 1 January 2000: to March 2020 is 20 x 12 + 3 months.
        assert len(frame) == 153 * 243
        months = pd.to_datetime(frame["month_end"])
        assert (months.min(), months.max()) == (pd.Timestamp(2000, 1, 31), pd.Timestamp(2020, 3, 31))
        assert frame["ons_code"].str.match(r"^E(0[6-9]|10)\d{6}$").all()  # unitary, metropolitan, London, county
        assert frame.groupby("region")["council"].nunique().to_dict() == REGION_COUNCILS


@pytest.mark.slow
def test_national_by_region_on_the_command_line(national_db: Path) -> None:
    code, out, _ = cli("national", "--by", "region", "--on", "2020-03-31", "--json", "--db", str(national_db))
    counts = json.loads(out)
    assert code == 0
    assert {count["region"]: count["councils"] for count in counts} == REGION_COUNCILS
    assert all(count["on"] == "2020-03-31" for count in counts)
    london = next(count for count in counts if count["region"] == "London")
    # The Ofsted CSV covers no council's DfE record: intervention counts are floors, and say so.
    assert london["in_intervention"] == {"count": 0, "at_least": True, "dfe_record_covered": 0,
                                         "covered_in_intervention": 0}  # fmt: skip
    assert sum(london["stages"].values()) == 33
    code, table, _ = cli("national", "--by", "region", "--on", "2020-03-31", "--db", str(national_db))
    assert code == 0
    assert "Councils by region on 2020-03-31" in table
    assert "≥ 0" in table
    code, _, err = cli("national", "--by", "county", "--db", str(national_db))
    assert code == 2
    assert "'county' is not one of 'region'" in " ".join(err.split())


def test_the_command_line_offers_every_table_and_format_the_exports_know() -> None:
    # The command line names them without importing the tables (a quick --help); they must not drift apart.
    from intervention_engine.cli.exports import FORMAT_NAMES, TABLE_NAMES
    from intervention_engine.projections.exports import FORMATS

    assert tuple(TABLES) == TABLE_NAMES
    assert tuple(FORMATS) == FORMAT_NAMES


# ----------------------------------------------------------------------------------------------------------------
# The simulation per council: the same runs as `simulation`, one row per council and month.

RECORD = DATA / "ofsted_inspections.csv"
FROM = "2020-03-31"  # the national_db fixture's replay ends on this day
SIMULATED = ("--ofsted-csv", str(RECORD), "--from", FROM, "--years", "1", "--runs", "3",
             "--policy", "dfe-2016-07", "--policy", "dfe-2022", "--workers", "0")  # fmt: skip
# The 2016 and the 2022 DfE regimes, 3 runs,
# the first day and 12 months after it, 153 councils.
COUNCIL_ROWS = 1 * 3 * 13 * 153 * 2


@pytest.fixture(scope="module")
def council_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("council_runs")
    found = {}
    for name, table, format in (("councils.parquet", "simulation_councils", "parquet"),
                                ("councils.csv", "simulation_councils", "csv"),
                                ("national.parquet", "simulation", "parquet")):  # fmt: skip
        found[name] = folder / name
        code, _, err = cli("export", table, "--format", format, "--out", str(found[name]), *SIMULATED)
        assert code == 0, err
        assert err.endswith(f"rows written to {found[name]}\n")
    return found


@pytest.mark.slow
def test_council_rows_counted_by_stage_are_the_national_simulation_of_the_same_seed(
    council_runs: dict[str, Path],
) -> None:
    councils = pd.read_parquet(council_runs["councils.parquet"])
    national = pd.read_parquet(council_runs["national.parquet"])
    assert len(councils) == COUNCIL_ROWS
    assert len(national) == 2 * 3 * 13 * 13  # variants x runs x months x stages
    keys = ["variant", "run", "month", "stage"]
    counted = councils.groupby(keys).size().rename("counted")
    both = national.set_index(keys).join(counted).fillna({"counted": 0})
    assert (both["counted"] == both["councils"]).all(), both[both["counted"] != both["councils"]]
    assert sorted(set(councils["variant"])) == ["dfe-2016-07", "dfe-2022"]


@pytest.mark.slow
def test_every_council_of_the_record_is_in_every_run_and_month_once(council_runs: dict[str, Path]) -> None:
    councils = pd.read_parquet(council_runs["councils.parquet"])
    record = pd.read_csv(RECORD)
    assert record["local_authority"].nunique() == 153
    per = councils.groupby(["variant", "run", "month"])["council"]
    assert set(per.nunique()) == {153}
    assert set(per.size()) == {153}  # no council twice
    months = sorted(set(councils["month"]))
    assert (len(months), months[0], months[1], months[-1]) == (13, D(2020, 3, 31), D(2020, 4, 30), D(2021, 3, 31))
    kirklees = councils[(councils["council"] == "382")].iloc[0]
    assert tuple(kirklees[["ons_code", "council_name", "region"]]) == ("E08000034", "Kirklees",
                                                                       "Yorkshire and the Humber")  # fmt: skip
    assert councils.groupby("region")["council"].nunique().to_dict() == REGION_COUNCILS


@pytest.mark.slow
def test_a_councils_first_month_is_its_real_stage_on_the_start_day(
    council_runs: dict[str, Path], national_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "states.parquet"
    code, _, err = cli("export", "states", "--format", "parquet", "--out", str(out), "--until", FROM,
                       "--db", str(national_db))  # fmt: skip
    assert code == 0, err
    states = pd.read_parquet(out)
    real = states[states["month_end"] == D(2020, 3, 31)].set_index("council")
    councils = pd.read_parquet(council_runs["councils.parquet"])
    first = councils[councils["month"] == D(2020, 3, 31)]
    # The Ofsted CSV holds no DfE fact: a council whose latest report is inadequate has no instrument on record.
    # Where the DfE's deadline has passed, the simulation gives it on the first day the instrument the policy
    # expected (DFE-02, DFE-03; `start._gaps`); the others stay inadequate until the DfE acts.
    unrecorded = set(real.index[(real["judgement"] == "inadequate") & (real["instrument"] == "none")])
    assert len(unrecorded) == 20
    for (variant, run), rows in first.groupby(["variant", "run"]):
        stages = rows.set_index("council")["stage"]
        kept = stages.drop(index=list(unrecorded))
        assert (kept == real["stage"].drop(index=list(unrecorded)).loc[kept.index]).all(), (variant, run)
        filled = set(stages.loc[list(unrecorded)])
        assert filled <= {"inadequate", "improvement_notice", "commissioner_review"}, (variant, run, filled)
        assert filled - {"inadequate"}, (variant, run)  # some are filled
    assert set(first[first["council"] == "382"]["stage"]) == {"requires_improvement"}  # Kirklees, judged in 2019


@pytest.mark.slow
def test_council_runs_read_back_typed_from_parquet_and_csv(council_runs: dict[str, Path]) -> None:
    spec = TABLES["simulation_councils"]
    read = pq.read_table(council_runs["councils.parquet"])
    assert tuple(read.schema.names) == spec.names == (
        "variant", "run", "month", "council", "ons_code", "council_name", "region", "stage",
    )  # fmt: skip
    assert [str(read.schema.field(name).type) for name in spec.names] == [
        "string", "int64", "date32[day]", "string", "string", "string", "string", "string",
    ]  # fmt: skip
    frame = read_csv(council_runs["councils.csv"], "simulation_councils")
    assert len(frame) == COUNCIL_ROWS
    assert str(frame["month"].dtype).startswith("datetime64")
    assert str(frame["run"].dtype) == "int64"
    assert frame["council"].str.fullmatch(r"\d{3}").all()  # codes keep their digits as text (no 382.0)
    parquet = read.to_pandas()
    assert list(frame["stage"]) == list(parquet["stage"])  # the same rows in the same order
    assert list(frame["month"].dt.date) == list(parquet["month"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2020-03-31", "--from", "2021-03-31"),
         "Error: table 'simulation_councils' starts from one day: give --from once\n"),
        (("--policy", "dfe-1999"), "Error: unknown DfE policy 'dfe-1999'; known: dfe-2013, "),
    ],
)  # fmt: skip
def test_a_bad_council_runs_export_is_refused_in_one_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "councils.csv"
    code, _, err = cli("export", "simulation_councils", "--out", str(out), "--ofsted-csv", str(RECORD),
                       "--years", "1", "--runs", "1", "--workers", "0", *args)  # fmt: skip
    assert code == 2
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_data_dictionarys_pandas_recipes_give_typed_dates(
    engine: InterventionEngine, councils_csv: Path, tmp_path: Path
) -> None:
    """docs/exports.md: pandas reads a Parquet date as Python dates (object); its two recipes keep them typed."""
    out = tmp_path / "states.parquet"
    write_export(engine.export("states", until=UNTIL, councils_csv=councils_csv), "parquet", out)
    assert str(pd.read_parquet(out)["month_end"].dtype) == "object"
    assert str(pd.read_parquet(out, dtype_backend="pyarrow")["month_end"].dtype) == "date32[day][pyarrow]"
    assert str(pq.read_table(out).to_pandas(date_as_object=False)["month_end"].dtype) == "datetime64[ms]"
