"""Scenario files: the Kirklees golden replay, and bad files refused with their file, line and field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from intervention_engine import (
    FactOutOfOrder,
    InterventionEngine,
    InvalidFact,
    InvalidScenario,
    MoveNotAllowed,
    Settings,
    VirtualClock,
    build_engine,
)
from intervention_engine.facts import DatePrecision
from intervention_engine.history import (
    check_expectations,
    checkpoint_results,
    load_facts,
    load_scenario,
    replay_scenario,
    scenario_json_schema,
)

KIRKLEES = Path(__file__).resolve().parents[1] / "scenarios" / "kirklees.yaml"

SMALL = """\
council:
  code: "382"
  name: Kirklees
  registered_on: 2016-01-01
events:
  - type: inspection_published
    occurred_on: 2016-11-25
    fieldwork_start: 2016-09-12
    fieldwork_end: 2016-10-06
    judgements:
      overall: inadequate
      help_and_protection: inadequate
      children_in_care: inadequate
      leadership: inadequate
    source: https://files.ofsted.gov.uk/v1/file/50004350
    confidence: high
  - type: statutory_direction_issued
    occurred_on: 2016-11-25
    commissioner_review: true
    source: https://www.cypnow.co.uk/news/article/dfe-to-consider-stripping-children-s-services-from-inadequate-council
    confidence: high
  - type: commissioner_reported
    occurred_on: 2017-03
    recommendation: retain_with_partner
    note: publication delayed by the general election
    source: http://www.examiner.co.uk/news/hasnt-review-kirklees-councils-failing-12935988
    confidence: medium
expect:
  - on: 2016-12-01
    stage: commissioner_review
  - on: 2017-04-01
    states: {instrument: statutory_direction}
"""


@pytest.fixture(params=["memory", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InterventionEngine]:
    settings = Settings(backend="memory") if request.param == "memory" else Settings(db=tmp_path / "engine.sqlite")
    built = build_engine(settings, clock=VirtualClock(dt.date(2010, 1, 1)))
    yield built
    built.close()


def stored(engine: InterventionEngine) -> list[Any]:
    return list(engine.store.recorder.select_notifications(None, 100_000))


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line holding `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


# ----------------------------------------------------------------------------------------------------------------
# The Kirklees golden replay.


def test_kirklees_replays_in_strict_mode_and_every_checkpoint_holds(engine: InterventionEngine) -> None:
    scenario = load_scenario(KIRKLEES)
    recorded = replay_scenario(engine, scenario)
    assert len(recorded) == len(scenario.events) + 1  # the registration, then every event
    assert all(item.deviation is None for item in recorded)
    assert scenario.expect, "the Kirklees scenario must state what the sources say"
    assert check_expectations(engine, scenario) == []


def test_kirklees_ends_good_with_its_direction_closed_and_services_back_with_the_council(
    engine: InterventionEngine,
) -> None:
    replay_scenario(engine, load_scenario(KIRKLEES))
    status = engine.state("Kirklees")
    assert status.stage == "good"
    assert status.states == {"judgement": "good", "instrument": "none", "delivery": "council", "supervision": "none"}
    assert engine.state("382", as_of=dt.date(2018, 6, 1)).stage == "partner_council"
    assert engine.clock.today() == dt.date(2025, 1, 1)


def test_each_fact_keeps_its_source_and_its_confidence() -> None:
    scenario = load_scenario(KIRKLEES)
    facts = [event.to_fact() for event in scenario.events]
    assert all(fact.source and fact.confidence for fact in facts)
    ended = facts[8]
    assert ended.describe() == "alternative_delivery_ended"
    assert ended.confidence == "low"
    assert ended.note is not None
    assert ended.note.startswith("inferred")


def test_a_month_only_date_is_placed_on_the_first_and_keeps_its_precision(tmp_path: Path) -> None:
    report = load_scenario(write(tmp_path, SMALL)).events[2].fact
    assert (report.occurred_on, report.date_precision) == (dt.date(2017, 3, 1), DatePrecision.month)


def test_checkpoint_key_on_is_a_date_not_a_yaml_boolean(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, SMALL))
    assert [checkpoint.on for checkpoint in scenario.expect] == [dt.date(2016, 12, 1), dt.date(2017, 4, 1)]


def test_a_checkpoint_that_does_not_hold_is_reported_with_its_line(tmp_path: Path, engine: InterventionEngine) -> None:
    text = SMALL.replace("    stage: commissioner_review", "    stage: improvement_notice")
    path = write(tmp_path, text)
    scenario = load_scenario(path)
    replay_scenario(engine, scenario)
    problems = check_expectations(engine, scenario)
    assert problems == [
        f"{path}, line {line_of(text, 'on: 2016-12-01')}: on 2016-12-01: "
        "stage is commissioner_review, expected improvement_notice"
    ]
    assert [result.holds for result in checkpoint_results(engine, scenario)] == [False, True]


def test_a_timer_expected_but_not_pending_is_reported(tmp_path: Path, engine: InterventionEngine) -> None:
    text = SMALL.replace("    states: {instrument: statutory_direction}", "    pending_timers: [no_such_timer]")
    scenario = load_scenario(write(tmp_path, text))
    replay_scenario(engine, scenario)
    [result] = [result for result in checkpoint_results(engine, scenario) if not result.holds]
    assert result.on == dt.date(2017, 4, 1)
    assert result.problems[0].startswith("no pending no_such_timer (pending: ")


# ----------------------------------------------------------------------------------------------------------------
# Bad files: one message with the file, the line and the field; nothing recorded.


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "words"),
    [
        (
            "type: statutory_direction_issued",
            "type: statutory_direction_isued",
            "_isued",
            "events[1].type",
            "unknown fact type 'statutory_direction_isued'",
        ),
        (
            "occurred_on: 2016-11-25\n    commissioner",
            "occurred_on: 2016-11-31\n    commissioner",
            "2016-11-31",
            "events[1].occurred_on",
            "day value is outside",
        ),
        ("overall: inadequate", "overall: inadequat", "overall:", "events[0].judgements.overall", "'inadequate'"),
        ("confidence: medium", "confidence: certain", "certain", "events[2].confidence", "'high', 'medium' or 'low'"),
        ("stage: commissioner_review", "stage: commissioner", "stage:", "expect[0].stage", "unknown stage"),
        ("{instrument: statutory_direction}", "{instrument: direction}", "direction}", "expect[1].states", "unknown"),
        ("note: publication", "notes: publication", "notes:", "events[2].notes", "extra inputs are not permitted"),
        ("occurred_on: 2017-03", "occurred_on: 2015-03", "2015-03", "events[2].occurred_on", "before the previous"),
    ],
)
def test_a_bad_field_is_named_with_its_file_and_line(
    tmp_path: Path, engine: InterventionEngine, old: str, new: str, needle: str, field: str, words: str
) -> None:
    text = SMALL.replace(old, new, 1)
    assert text != SMALL
    path = write(tmp_path, text)
    with pytest.raises(InvalidScenario) as caught:
        replay_scenario(engine, load_scenario(path))
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line_of(text, needle)}: {field}: ")
    assert words in message
    assert "\n" not in message
    assert stored(engine) == []


def test_a_missing_source_is_named_at_the_line_of_its_event(tmp_path: Path, engine: InterventionEngine) -> None:
    text = "".join(line for line in SMALL.splitlines(keepends=True) if "source: https://www.cypnow" not in line)
    path = write(tmp_path, text)
    with pytest.raises(InvalidScenario, match=r", line (\d+): events\[1\]\.source: field required") as caught:
        replay_scenario(engine, load_scenario(path))
    assert f"line {line_of(text, 'type: statutory_direction_issued')}:" in str(caught.value)
    assert stored(engine) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("council: {code: '1', name: X}\nevents:\n  - type: [\n", r"line \d+: not valid YAML"),
        ("council: {code: '1', name: X, name: Y}\nevents: []\n", r"line 1: duplicate key 'name'"),
        ("- 1\n- 2\n", r"line 1: file: input should be a valid dictionary"),
        ("council: {code: '1', name: X}\nevents: []\n", r"line 2: events: list should have at least 1 item"),
    ],
)
def test_malformed_files_are_refused_with_a_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InvalidScenario, match=expected) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(str(path))


def test_a_registration_in_the_events_is_refused(tmp_path: Path) -> None:
    registration = (
        "{type: council_registered, occurred_on: 2016-01-01, code: '1', name: K, source: s, confidence: high}"
    )
    text = SMALL.replace("events:\n", f"events:\n  - {registration}\n")
    with pytest.raises(InvalidScenario, match=r"line 6: events\[0\]: council_registered belongs in the `council:`"):
        load_scenario(write(tmp_path, text))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenario, match="cannot read the file"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_a_move_the_rulebook_forbids_records_nothing_and_names_the_line(
    tmp_path: Path, engine: InterventionEngine
) -> None:
    text = SMALL.replace("commissioner_review: true", "commissioner_review: false")
    path = write(tmp_path, text)
    with pytest.raises(MoveNotAllowed, match="commissioner_reported on 2017-03-01 is not allowed") as caught:
        replay_scenario(engine, load_scenario(path))
    assert caught.value.__notes__ == [f"{path}, line {line_of(text, 'type: commissioner_reported')}"]
    assert stored(engine) == []


def test_lenient_replay_infers_the_commissioner_a_report_implies(tmp_path: Path, engine: InterventionEngine) -> None:
    """INF-02: a commissioner's report under a direction led by advisers implies the commissioner's appointment."""
    text = SMALL.replace("commissioner_review: true", "commissioner_review: false")
    recorded = replay_scenario(engine, load_scenario(write(tmp_path, text)), strict=False)
    assert [item.fact_type for item in recorded if item.deviation] == []
    [report] = [item for item in recorded if item.fact_type == "commissioner_reported"]
    assert report.inferred == (
        "commissioner appointed [inferred: INF-02 (DFE-06): a commissioner reports under a direction with a "
        "commissioner review; implied by commissioner_reported on 2017-03-01]",
    )


def test_replaying_a_council_twice_is_refused_without_damage(engine: InterventionEngine) -> None:
    scenario = load_scenario(KIRKLEES)
    replay_scenario(engine, scenario)
    before = stored(engine)
    with pytest.raises(FactOutOfOrder, match="dated before the latest recorded fact"):
        replay_scenario(engine, scenario)
    assert stored(engine) == before


# ----------------------------------------------------------------------------------------------------------------
# Fact files and the schema.


def test_a_fact_file_with_a_bad_date_names_its_line(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "- {type: action_plan_submitted, occurred_on: 2017-01-05}",
            "- type: action_plan_submitted",
            "  occurred_on: 2022-02-30",
        ]
    )
    with pytest.raises(InvalidFact, match=r"facts.yaml, line 3: \[1\]\.occurred_on: input should be a valid date"):
        load_facts(write(tmp_path, text, "facts.yaml"))


def test_the_schema_describes_events_as_written() -> None:
    schema = scenario_json_schema()
    defs = schema["$defs"]
    event_types = {ref["$ref"].rsplit("/", 1)[-1] for ref in defs["ScenarioEvent"]["oneOf"]}
    assert "InspectionPublished" in event_types
    assert "CouncilRegistered" not in event_types
    for name in event_types:
        assert {"type", "occurred_on", "source", "confidence"} <= set(defs[name]["required"])
        assert "fact" not in defs[name]["properties"]
    assert set(schema["properties"]) == {"council", "events", "expect"}
