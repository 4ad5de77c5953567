"""The command line: every command works on a SQLite file, `--json` parses, bad input is one line and no damage."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from intervention_engine.cli import app
from intervention_engine.demo import run as run_demo
from intervention_engine.errors import ConfigurationError
from intervention_engine.history import load_scenario
from intervention_engine.settings import Settings

from shared_data import OFSTED_CSV

KIRKLEES = Path(__file__).resolve().parents[1] / "scenarios" / "kirklees.yaml"

REGISTER = '{"type": "council_registered", "occurred_on": "2016-01-01", "code": "382", "name": "Kirklees"}'
INADEQUATE = json.dumps(
    {
        "type": "inspection_published",
        "occurred_on": "2016-11-25",
        "fieldwork_start": "2016-09-12",
        "fieldwork_end": "2016-10-06",
        "judgements": {
            "overall": "inadequate",
            "help_and_protection": "inadequate",
            "children_in_care": "inadequate",
            "leadership": "inadequate",
        },
    }
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.sqlite"


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--db", str(db)])


def rows(db: Path) -> dict[str, list[Any]]:
    """Every row of every table of the SQLite file, sorted (empty when the file does not exist)."""
    if not db.exists():
        return {}
    with sqlite3.connect(db) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall()) for table in tables}


@pytest.fixture
def kirklees(db: Path) -> Path:
    """A database holding the replayed Kirklees scenario."""
    result = run(db, "replay", str(KIRKLEES))
    assert result.exit_code == 0, result.output
    return db


def refused(result: Result, code: int, *words: str) -> None:
    """The command failed with `code` and one line on stderr holding `words`, and no traceback."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.output


# ----------------------------------------------------------------------------------------------------------------
# Each command works.


def test_record_registers_a_council_and_records_its_facts(db: Path) -> None:
    assert run(db, "record", "382", REGISTER).exit_code == 0
    result = run(db, "record", "Kirklees", INADEQUATE, "--json")
    assert result.exit_code == 0, result.output
    [recorded] = json.loads(result.stdout)["recorded"]
    assert (recorded["council"], recorded["stage"], recorded["occurred_on"]) == ("382", "inadequate", "2016-11-25")


def test_record_reads_a_yaml_file_of_facts(db: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "- {type: statutory_direction_issued, occurred_on: 2016-11-25, commissioner_review: true}\n"
        "- {type: commissioner_reported, occurred_on: 2017-03, recommendation: retain_with_partner}\n"
    )
    run(db, "record", "382", REGISTER)
    run(db, "record", "382", INADEQUATE)
    result = run(db, "record", "382", f"@{facts}", "--json")
    assert result.exit_code == 0, result.output
    assert [item["stage"] for item in json.loads(result.stdout)["recorded"]] == [
        "commissioner_review",
        "statutory_direction",
    ]


def test_replay_reports_every_checkpoint(db: Path) -> None:
    result = run(db, "replay", str(KIRKLEES), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["all_checkpoints_hold"] is True
    [file] = report["files"]
    assert file["council"] == "382"
    assert file["checkpoints"]
    assert all(checkpoint["holds"] for checkpoint in file["checkpoints"])


def test_replay_prints_a_table_of_checkpoints(db: Path) -> None:
    result = run(db, "replay", str(KIRKLEES))
    assert result.exit_code == 0, result.output
    assert "Checkpoints: 7 of 7 hold" in result.stdout


def test_status_now_and_as_of_a_date(kirklees: Path) -> None:
    now = json.loads(run(kirklees, "status", "382", "--json").stdout)
    assert now["stage"] == "good"
    then = json.loads(run(kirklees, "status", "kirklees", "--as-of", "2017-10-01", "--json").stdout)
    # The revised direction that put services with Leeds came in January 2018 (the DfE register, high confidence).
    assert (then["stage"], then["states"]["delivery"], then["as_of"]) == (
        "statutory_direction",
        "council",
        "2017-10-01",
    )
    human = run(kirklees, "status", "382", "--as-of", "2016-12-01")
    assert human.exit_code == 0
    assert "stage commissioner_review" in human.stdout


def test_timeline_lists_facts_and_timers_in_order(kirklees: Path) -> None:
    entries = json.loads(run(kirklees, "timeline", "382", "--json").stdout)
    assert entries[0]["event"] == "Registered"
    assert [entry["occurred_on"] for entry in entries] == sorted(entry["occurred_on"] for entry in entries)
    assert "TimerFired" in {entry["event"] for entry in entries}
    human = run(kirklees, "timeline", "382")
    assert human.exit_code == 0
    assert "statutory direction revoked" in human.stdout


def test_due_lists_pending_timers_until_a_date(kirklees: Path) -> None:
    timers = json.loads(run(kirklees, "due", "--json").stdout)
    assert ("382", "next_inspection_due", "2027-07-08") in {(t["council"], t["kind"], t["due_on"]) for t in timers}
    earlier = json.loads(run(kirklees, "due", "--until", "2027-07-07", "--json").stdout)
    assert all(timer["due_on"] <= "2027-07-07" for timer in earlier)
    assert "next_inspection_due" not in {timer["kind"] for timer in earlier}
    human = run(kirklees, "due")
    assert human.exit_code == 0
    assert "2027-07-08" in human.stdout


def test_diagram_prints_the_rulebook_as_mermaid() -> None:
    result = CliRunner().invoke(app, ["diagram"])
    assert result.exit_code == 0
    assert result.stdout.startswith("stateDiagram-v2\n")
    assert "publish_inspection" in result.stdout
    assert json.loads(CliRunner().invoke(app, ["diagram", "--json"]).stdout)["mermaid"] == result.stdout


def test_schema_prints_the_scenario_json_schema() -> None:
    for args in ((), ("--json",)):
        schema = json.loads(CliRunner().invoke(app, ["schema", *args]).stdout)
        assert "ScenarioEvent" in schema["$defs"]


@pytest.mark.parametrize("command", ["diagram", "schema"])
def test_commands_that_read_no_database_take_no_db_option(db: Path, command: str) -> None:
    result = run(db, command)  # issue 13: `--db` was accepted and ignored
    assert result.exit_code == 2
    assert "No such option: --db" in result.stderr
    assert not db.exists()


# ----------------------------------------------------------------------------------------------------------------
# Bad input: one line, a non-zero exit code, the database unchanged.


def fact(kind: str, on: str) -> str:
    return json.dumps({"type": kind, "occurred_on": on})


@pytest.mark.parametrize(
    ("council", "given", "code", "words"),
    [
        ("Nowhere", fact("action_plan_submitted", "2017-01-05"), 3, ["'Nowhere' is not registered"]),
        ("382", '{"type": "action_plan_submitted", "occurred_on": ', 2, ["FACT is not valid JSON"]),
        ("382", '["not a fact"]', 2, ["must be a JSON object"]),
        ("382", fact("action_plan_submited", "2017-01-05"), 2, ["unknown fact type 'action_plan_submited'"]),
        ("382", fact("action_plan_submitted", "2022-02-30"), 2, ["occurred_on", "day value is outside"]),
        ("382", fact("improvement_notice_lifted", "2025-02-03"), 2, ["is not allowed", "Legal moves now"]),
        ("382", fact("action_plan_submitted", "2017-01-05"), 2, ["dated before the latest"]),
        ("382", fact("action_plan_submitted", "2150-01-05"), 2, ["dated after today"]),
        ("382", "@nowhere.yaml", 2, ["nowhere.yaml: cannot read the file"]),
    ],
)
def test_bad_input_is_refused_in_one_line_without_changing_the_database(
    kirklees: Path, council: str, given: str, code: int, words: list[str]
) -> None:
    before = rows(kirklees)
    refused(run(kirklees, "record", council, given), code, *words)
    assert rows(kirklees) == before


def test_json_errors_are_one_json_line_on_stderr(kirklees: Path) -> None:
    result = run(
        kirklees, "record", "382", '{"type": "improvement_notice_lifted", "occurred_on": "2025-02-03"}', "--json"
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert (error["error"], error["exit_code"]) == ("MoveNotAllowed", 2)


def test_lenient_records_an_illegal_move_as_a_deviation(kirklees: Path) -> None:
    result = run(kirklees, "record", "382", fact("improvement_notice_lifted", "2025-02-03"), "--lenient", "--json")
    assert result.exit_code == 0, result.output
    [recorded] = json.loads(result.stdout)["recorded"]
    assert "improvement_notice_lifted is not a move from none" in recorded["deviation"]["expected"]
    assert json.loads(run(kirklees, "status", "382", "--json").stdout)["deviations"]


def test_a_bad_fact_in_a_file_names_its_line_and_records_nothing(kirklees: Path, tmp_path: Path) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_text(
        "- {type: action_plan_submitted, occurred_on: 2025-01-06}\n"
        "- {type: action_plan_submitted, occurred_on: 2025-02-30}\n"
    )
    before = rows(kirklees)
    refused(run(kirklees, "record", "382", f"@{facts}"), 2, "facts.yaml, line 2: [1].occurred_on")
    assert rows(kirklees) == before


def test_a_bad_scenario_file_names_its_line_and_records_nothing(kirklees: Path, tmp_path: Path) -> None:
    text = KIRKLEES.read_text().replace("type: alternative_delivery_live", "type: alternative_delivery_alive")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "alternative_delivery_alive" in row)
    before = rows(kirklees)
    refused(run(kirklees, "replay", str(bad)), 2, f"bad.yaml, line {line}: events[5].type: unknown fact type")
    assert rows(kirklees) == before


def test_a_scenario_the_rulebook_refuses_records_nothing(db: Path, tmp_path: Path) -> None:
    text = KIRKLEES.read_text().replace("commissioner_review: true", "commissioner_review: false")
    bad = tmp_path / "refused.yaml"
    bad.write_text(text)
    refused(run(db, "replay", str(bad)), 2, "commissioner_reported on 2017-03-01 is not allowed", "refused.yaml, line")
    assert all(not table_rows for table_rows in rows(db).values())


def test_a_checkpoint_that_does_not_hold_exits_with_1(db: Path, tmp_path: Path) -> None:
    text = KIRKLEES.read_text().replace("    stage: good\n", "    stage: outstanding\n")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(text)
    result = run(db, "replay", str(wrong), "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["all_checkpoints_hold"] is False
    assert report["files"][0]["checkpoints"][-1]["problems"] == ["stage is good, expected outstanding"]


@pytest.mark.parametrize(("command", "option"), [("status", "--as-of"), ("due", "--until")])
def test_an_impossible_date_option_is_refused(kirklees: Path, command: str, option: str) -> None:
    args = [command, "382"] if command == "status" else [command]
    refused(run(kirklees, *args, option, "2022-02-30"), 2, f"{option} '2022-02-30' is not a date")


def test_an_unknown_council_status_exits_with_3(kirklees: Path) -> None:
    refused(run(kirklees, "status", "Atlantis"), 3, "'Atlantis' is not registered")


# ----------------------------------------------------------------------------------------------------------------
# The demo.


def test_the_demo_replaces_its_database_and_reports_every_checkpoint(kirklees: Path) -> None:
    out = io.StringIO()
    assert run_demo(kirklees, load_scenario(KIRKLEES), Console(file=out, width=120)) is True
    text = out.getvalue()
    assert "Deleted the previous demo database" in text
    assert "Checkpoints: 7 of 7 hold" in text
    assert str(kirklees.resolve()) in text
    entries = json.loads(run(kirklees, "timeline", "382", "--json").stdout)
    assert [entry["event"] for entry in entries].count("FactRecorded") == 10  # one fresh copy of the history
    assert json.loads(run(kirklees, "status", "382", "--json").stdout)["stage"] == "good"


def test_the_demo_will_not_delete_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    precious = tmp_path / "notes.sqlite"
    precious.write_text("my notes")
    with pytest.raises(ConfigurationError, match="is not a SQLite database"):
        run_demo(precious, load_scenario(KIRKLEES), Console(file=io.StringIO()))
    assert precious.read_text() == "my notes"


def test_deviations_lists_what_departed_from_the_policy_in_force(db: Path) -> None:
    assert run(db, "record", "382", REGISTER).exit_code == 0
    first_inadequate = json.loads(INADEQUATE)
    first_inadequate["occurred_on"] = "2017-04-07"
    first_inadequate["fieldwork_start"], first_inadequate["fieldwork_end"] = "2017-01-23", "2017-02-16"
    first_inadequate["judgements"]["children_in_care"] = "requires_improvement"  # not systemic: DFE-03 expects a notice
    assert run(db, "record", "382", json.dumps(first_inadequate)).exit_code == 0
    direction = {"type": "statutory_direction_issued", "occurred_on": "2017-09-12", "commissioner_review": False}
    assert run(db, "record", "382", json.dumps(direction)).exit_code == 0

    result = run(db, "deviations", "--json")
    assert result.exit_code == 0, result.output
    [deviation] = json.loads(result.stdout)
    assert (deviation["council"], deviation["rule_id"], deviation["policy_version"]) == ("382", "DFE-03", "dfe-2016-07")
    assert deviation["happened"] == "statutory direction issued without a commissioner"

    assert json.loads(run(db, "deviations", "382", "--as-of", "2017-06-01", "--json").stdout) == []
    table = run(db, "deviations", "Kirklees")
    assert "DFE-03" in table.stdout
    assert "Deviations: 1" in table.stdout


def test_replay_of_the_national_record_with_a_scenario(db: Path) -> None:
    result = run(db, "replay", str(KIRKLEES), "--ofsted-csv", str(OFSTED_CSV), "--as-of", "2020-03-31", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["replayed"] == 153
    assert report["national"]["councils"] == 153
    assert sum(report["national"]["stages"].values()) == 153
    kirklees = next(council for council in report["councils"] if council["council"] == "382")
    assert kirklees["stage"] == "requires_improvement"  # direction revoked and partnership ended in January 2020
    # The scenario's 9 facts up to then (the CSV's two inspections of that time are the same reports, recorded once)
    # and what each source covers: the scenario every region over its span, the CSV the judgements.
    assert kirklees["facts"] == 11
    assert [line for line in report["same_fact_from_two_sources"] if line.startswith("382:")] == [
        "382: ofsted_inspections.csv line 206 is scenarios/kirklees.yaml line 16: inspection published: overall "
        "inadequate (sif)",
        "382: ofsted_inspections.csv line 207 is scenarios/kirklees.yaml line 92: inspection published: overall "
        "requires_improvement (ilacs_2018)",
        "382: ofsted_inspections.csv line 208 is scenarios/kirklees.yaml line 127: inspection published: overall "
        "good (ilacs_2023)",
    ]
    assert len(report["skipped_rows"]) == 9
    assert report["all_checkpoints_hold"] is True

    again = json.loads(run(db, "replay", "--ofsted-csv", str(OFSTED_CSV), "--as-of", "2020-03-31", "--json").stdout)
    assert again["replayed"] == 0
    assert len(again["already_in_store"]) == 153

    counts = json.loads(run(db, "national", "--on", "2019-03-31", "--on", "2020-03-31", "--json").stdout)
    assert [count["on"] for count in counts] == ["2019-03-31", "2020-03-31"]
    assert counts[1] == report["national"]


def test_replay_of_a_research_timeline_records_its_facts(db: Path) -> None:
    rotherham = OFSTED_CSV.parent / "timelines" / "rotherham.yaml"
    result = run(db, "replay", str(rotherham), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    listed = report["timelines"][0]["facts"]
    assert (report["replayed"], report["facts"]) == (1, listed)
    stored = json.loads(run(db, "timeline", "372", "--json").stdout)
    facts = [entry["data"]["fact"] for entry in stored if entry["event"] == "FactRecorded"]
    # Every fact of the file, the span it covers, and the direction Rotherham's commissioner implies (INF-01):
    # lenient mode records it, marked inferred, instead of an illegal move.
    assert [fact["type"] for fact in facts].count("coverage_declared") == 1
    assert [fact for fact in facts if fact.get("inferred")] == [
        {
            "type": "statutory_direction_issued", "occurred_on": "2014-10-01", "date_precision": "month",
            "commissioner_review": True, "revises_earlier": False, "confidence": "low", "inferred": True,
            "source": "https://www.rotherham.gov.uk/news/article/790/commissioner_at_rotherham_council_moves_on",
            "inference": "INF-01 (DFE-01, DFE-06): a commissioner is appointed under a statutory direction",
            "implied_by": "commissioner_appointed on 2014-10-01",
        }
    ]  # fmt: skip
    assert report["inferred"] == [
        "372: statutory direction issued with commissioner review [inferred: INF-01 (DFE-01, DFE-06): a commissioner "
        "is appointed under a statutory direction; implied by commissioner_appointed on 2014-10-01]"
    ]
    assert len(facts) == listed + 2
    again = json.loads(run(db, "replay", str(rotherham), "--json").stdout)
    assert (again["replayed"], again["already_in_store"]) == (0, ["372"])


def test_replay_needs_something_to_replay(db: Path) -> None:
    refused(run(db, "replay"), 2, "give scenario files or research timelines, --ofsted-csv FILE, --dfe-register FILE")


def test_run_refuses_a_second_scheduler_on_the_same_database(db: Path) -> None:
    from intervention_engine.scheduling.lock import lock_for

    assert run(db, "record", "382", REGISTER).exit_code == 0
    held = lock_for(Settings(db=db))
    held.acquire()
    try:
        refused(run(db, "run"), 2, "a scheduler is already running on database", str(db.name))
    finally:
        held.release()


def test_reading_commands_do_not_create_a_missing_database(tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    refused(run(missing, "status", "382"), 2, "no database at", "typo.sqlite")
    refused(run(missing, "deviations"), 2, "no database at")
    assert not missing.exists()
