"""The command line without friction (issue 13 item 6): a quick start, `--version`, `record FILE` idempotent,
reading commands that never create a database, folders wherever files are, checked choices, true help texts,
grades in grade order, every problem of a scenario file shown, and piped tables as one record per block.
Every expectation is written by hand: exit codes and the one line that names what was wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from intervention_engine.cli import app

from shared_data import OFSTED_CSV

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REGISTER = '{"type": "council_registered", "occurred_on": "2016-01-01", "code": "382", "name": "Kirklees"}'
INADEQUATE = (
    "{type: inspection_published, occurred_on: 2016-11-25, fieldwork_start: 2016-09-12, fieldwork_end: 2016-10-06,"
    " judgements: {overall: inadequate, help_and_protection: inadequate, children_in_care: inadequate,"
    " leadership: inadequate}}"
)
DIRECTION = "{type: statutory_direction_issued, occurred_on: 2016-11-25, commissioner_review: true}"
HEAVY = ("matplotlib", "numpy", "pandas", "pyarrow", "pydantic", "eventsourcing", "fastapi", "uvicorn", "apscheduler")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_line_error(result: Result, code: int) -> str:
    """The command failed with `code`, printing nothing on stdout and one line on stderr, which is returned."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ----------------------------------------------------------------------------------------------------------------
# Start-up.


def test_importing_the_command_line_loads_no_heavy_library() -> None:
    code = (
        f"import sys, intervention_engine.cli; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_version_prints_the_installed_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == "intervention-engine 0.1.0\n"  # pyproject.toml's version


def test_flags_show_no_value_type_in_help() -> None:
    result = invoke("record", "--help")
    assert result.exit_code == 0
    assert "--lenient" in result.stdout
    assert "<bool>" not in result.stdout


# ----------------------------------------------------------------------------------------------------------------
# record FILE: idempotent, and a refusal says what was recorded.


def test_recording_a_file_again_records_nothing_twice(tmp_path: Path) -> None:
    db = str(tmp_path / "record.sqlite")
    facts = tmp_path / "facts.yaml"
    lifted = "{type: improvement_notice_lifted, occurred_on: 2017-01-10}"  # no notice to lift: refused
    facts.write_text(f"- {INADEQUATE}\n- {DIRECTION}\n- {lifted}\n", encoding="utf-8")
    assert invoke("record", "382", REGISTER, "--db", db).exit_code == 0

    first = one_line_error(invoke("record", "382", f"@{facts}", "--db", db), 2)
    assert first.startswith("Error: council '382': improvement_notice_lifted on 2017-01-10 is not allowed")
    assert first.endswith(
        "(fact 3 of 3 refused; recorded before it: inspection_published on 2016-11-25, "
        "statutory_direction_issued on 2016-11-25)"
    )

    report = "{type: commissioner_reported, occurred_on: 2017-03-01, recommendation: retain}"
    facts.write_text(f"- {INADEQUATE}\n- {DIRECTION}\n- {report}\n", encoding="utf-8")  # the refused fact fixed
    again = invoke("record", "382", f"@{facts}", "--db", db, "--json")
    assert again.exit_code == 0, again.output
    recorded = json.loads(again.stdout)["recorded"]
    assert [(item["fact_type"], item["duplicate"]) for item in recorded] == [
        ("inspection_published", True),
        ("statutory_direction_issued", True),
        ("commissioner_reported", False),
    ]
    timeline = json.loads(invoke("timeline", "382", "--db", db, "--json").stdout)
    recorded_facts = [entry["event"] for entry in timeline if entry["event"] in ("FactRecorded", "Registered")]
    assert len(recorded_facts) == 4  # registered, inspection, direction, report: each once

    third = invoke("record", "Kirklees", f"@{facts}", "--db", db, "--json")  # the council by name this time
    assert [item["duplicate"] for item in json.loads(third.stdout)["recorded"]] == [True, True, True]


# ----------------------------------------------------------------------------------------------------------------
# Reading commands create no database.


@pytest.mark.parametrize(
    "args",
    [
        ("whatif", "382", "--at", "2017-01-01", "--until", "2018-01-01", "--no-world"),
        ("counterfactual", "--policy", "dfe-2016-07"),
        ("status", "382"),
    ],
    ids=["whatif", "counterfactual", "status"],
)
def test_a_reading_command_without_db_creates_no_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INTERVENTION_ENGINE_DB", raising=False)
    line = one_line_error(invoke(*args), 2)
    assert line == ("Error: no database at intervention_engine.sqlite: record or replay something first, or check --db")
    assert list(tmp_path.iterdir()) == []


def test_simulate_from_a_missing_db_creates_none(tmp_path: Path) -> None:
    db = tmp_path / "missing.sqlite"
    args = ("simulate", "--ofsted-csv", str(OFSTED_CSV), "--from", "2025-01-01", "--runs", "1", "--years", "1")
    line = one_line_error(invoke(*args, "--db", str(db), "--workers", "0"), 2)
    assert line == f"Error: no database at {db}: record or replay something first, or check --db"
    assert not db.exists()


# ----------------------------------------------------------------------------------------------------------------
# Folders wherever files are.


def test_replay_takes_a_folder_of_scenario_files(tmp_path: Path) -> None:
    result = invoke("replay", str(SCENARIOS), "--db", str(tmp_path / "all.sqlite"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # scenarios/ holds nine scenario files (and a README.md, which is not one).
    assert sorted(file["council"] for file in report["files"]) == sorted(
        ["211", "302", "352", "372", "382", "841", "871", "916", "936"]
    )


def test_a_folder_with_no_scenario_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    line = one_line_error(invoke("replay", str(empty), "--db", str(tmp_path / "x.sqlite")), 2)
    assert line == f"Error: {empty} holds no .yaml, .yml, .json files"
    assert not (tmp_path / "x.sqlite").exists()


# ----------------------------------------------------------------------------------------------------------------
# Choices.


def test_an_unknown_counterfactual_kind_is_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    db = tmp_path / "cf.sqlite"
    line = one_line_error(invoke("counterfactual", "--policy", "dfe-2016-07", "--kind", "directon", "--db", str(db)), 2)
    assert line.startswith("Error: --kind 'directon' is not one of dfe_intervention, improvement_notice, ")
    assert line.endswith("; did you mean direction_with_commissioner?")
    assert not db.exists()


def test_an_unknown_keep_is_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    args = ("whatif", "382", "--at", "2017-01-01", "--until", "2018-01-01", "--no-world", "--keep", "ofstd")
    line = one_line_error(invoke(*args, "--db", str(tmp_path / "w.sqlite")), 2)
    assert line == "Error: --keep 'ofstd' is not one of none, ofsted, all; did you mean ofsted?"


# ----------------------------------------------------------------------------------------------------------------
# Help texts, order, scenario problems, piped tables.


def test_help_texts_say_what_the_commands_do() -> None:
    deviations = invoke("deviations", "--help").stdout
    assert "occurred by this date" in deviations
    assert "as recorded" not in deviations
    national = " ".join(invoke("national", "--help").stdout.split())
    assert "grade" not in national  # it prints stages and intervention, not grades
    assert "DfE intervention" in national


def test_calibrate_lists_the_previous_grades_best_first() -> None:
    result = invoke("calibrate", "--ofsted-csv", str(OFSTED_CSV))
    assert result.exit_code == 0, result.output
    ilacs = result.stdout.split("Next overall grade after each grade (ilacs)")[1].split("Next overall grade")[0]
    previous = [line.removeprefix("previous: ") for line in ilacs.splitlines() if line.startswith("previous: ")]
    assert previous == ["outstanding", "good", "requires_improvement", "inadequate"]


def test_a_scenario_file_error_shows_the_other_problems_too(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "council:\n  code: '382'\n  name: Kirklees\n"
        "events:\n"
        "  - {type: inspection_publishd, occurred_on: 2016-11-25, source: x, confidence: high}\n"
        "  - {type: improvement_notice_issued, occurred_on: 2016-13-01, source: x, confidence: high}\n"
        "  - {type: improvement_notice_lifted, occurred_on: 2017-01-01, source: x, confidence: sure}\n",
        encoding="utf-8",
    )
    line = one_line_error(invoke("replay", str(scenario), "--db", str(tmp_path / "s.sqlite")), 2)
    assert line.startswith(f"Error: {scenario}, line 5: events[0].type: unknown fact type 'inspection_publishd'")
    assert "(and 2 more in the file: line 6: events[1].occurred_on: " in line
    assert "; line 7: events[2].confidence: " in line


def test_a_piped_table_prints_one_record_per_block_without_splitting_words(tmp_path: Path) -> None:
    db = str(tmp_path / "piped.sqlite")
    invoke("record", "382", REGISTER, "--db", db)
    facts = tmp_path / "facts.yaml"
    facts.write_text(f"- {INADEQUATE}\n- {DIRECTION}\n", encoding="utf-8")
    result = invoke("record", "382", f"@{facts}", "--db", db)
    assert result.exit_code == 0, result.output
    blocks = result.stdout.split("\n\n")
    assert blocks[0].splitlines()[0] == "Recorded"
    assert blocks[1].splitlines() == [
        "council: 382",
        "on: 2016-11-25",
        "fact: statutory_direction_issued",
        "stage: commissioner_review",
        blocks[1].splitlines()[-1],
    ]
    assert blocks[1].splitlines()[-1].startswith("events: ")


def script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script itself (its `main`), as a user runs it."""
    command = Path(sys.executable).with_name("intervention-engine")
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("statuss", "382"),
            "Error: No such command 'statuss'. Did you mean 'status'? (see 'intervention-engine --help')",
        ),
        (
            ("simulate", "--ofsted-csv", "x.csv", "--runs", "many"),
            "Error: Invalid value for '--runs': Input should be a valid integer, unable to parse string as an integer "
            "(see 'intervention-engine simulate --help')",
        ),
        (("simulate",), "Error: Missing option '--ofsted-csv'. (see 'intervention-engine simulate --help')"),
        (("status",), "Error: Missing argument 'council'. (see 'intervention-engine status --help')"),
    ],
)
def test_a_command_line_that_cannot_be_read_is_one_line_with_exit_2(args: tuple[str, ...], line: str) -> None:
    done = script(*args)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", line + "\n")


def test_the_script_keeps_each_commands_own_exit_code(tmp_path: Path) -> None:
    assert script("--version").returncode == 0
    missing = tmp_path / "none.sqlite"
    refused = script("status", "382", "--db", str(missing))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"Error: no database at {missing}")
    assert not missing.exists()
