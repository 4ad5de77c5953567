"""Every research event type RULES.md and the data README name, and the synonyms a stranger's timeline uses, become
the fact they stand for; a mapping file extends or overrides that vocabulary without code, and a bad one is
refused naming its file and line."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from intervention_engine import InvalidImport, Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.facts import fact_to_data
from intervention_engine.history.timelines import import_timeline, read_timeline, timeline_report
from intervention_engine.history.vocabulary import load_mapping

from shared_data import DATA

COUNCILS = DATA / "councils.csv"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "timeline-mapping.md"
_SIF = {"framework": "SIF", "fieldwork_start": "2016-09-12", "fieldwork_end": "2016-10-06",
        "grades": {"overall_effectiveness": "inadequate", "help_and_protection": "inadequate",
                   "children_looked_after_and_permanence": "inadequate", "leadership_management_governance":
                   "inadequate"}}  # fmt: skip
_SIF_FACT = {"type": "inspection_published", "framework": "sif", "fieldwork_start": "2016-09-12",
             "fieldwork_end": "2016-10-06", "judgements": {"overall": "inadequate", "help_and_protection":
             "inadequate", "children_in_care": "inadequate", "leadership": "inadequate"}}  # fmt: skip
_PRE_SIF = {"date": "2012-03-01"}  # a pre-SIF judgement with no fieldwork dates: fieldwork taken as that day
_PRE_SIF_FACT = {"type": "inspection_published", "framework": "pre_sif", "fieldwork_start": "2012-03-01",
                 "fieldwork_end": "2012-03-01", "judgements": {"overall": "inadequate"}}  # fmt: skip
_NOTE = "note_recorded"


def _write(path: Path, events: list[dict[str, Any]]) -> Path:
    text = yaml.safe_dump({"la_key": "kirklees", "events": events}, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")
    return path


def _last_fact(tmp_path: Path, event: dict[str, Any], mapping: Path | None = None) -> dict[str, Any]:
    opened = {"date": "2008-01-04", "type": "dfe_improvement_notice"}  # something open, for `..._ended`
    path = _write(tmp_path / "notes.yaml", [opened, {"date": "2016-11-25", **event}])
    found = read_timeline(path, COUNCILS, load_mapping(mapping) if mapping else None)
    assert not found.unknown_types
    data = fact_to_data(found.facts[-1])
    return {key: value for key, value in data.items() if key not in ("occurred_on", "note")}


# (research type, detail, other fields of the event, the fact expected): written by hand from RULES.md.
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("ofsted_judgement_published", "SIF inspection", _SIF, _SIF_FACT),
    ("ofsted_judgement", "", _SIF, _SIF_FACT),
    ("inspection_published", "", _SIF, _SIF_FACT),
    ("pre_sif_judgement", "judged inadequate", _PRE_SIF, _PRE_SIF_FACT),
    ("pre_sif_inspection", "inadequate", _PRE_SIF, _PRE_SIF_FACT),
    (
        "ofsted_monitoring_visit",
        "Second monitoring visit",
        {},
        {"type": "monitoring_visit_published", "visit_number": 2},
    ),
    ("monitoring_visit_published", "monitoring visit", {}, {"type": "monitoring_visit_published"}),
    (
        "focused_visit",
        "one area for priority action",
        {},
        {"type": "focused_visit_published", "priority_actions": True},
    ),
    (
        "focused_visit_published",
        "no areas for priority action",
        {},
        {"type": "focused_visit_published", "priority_actions": False},
    ),
    ("action_plan_due", "", {}, {"type": _NOTE, "kind": "action_plan_due"}),
    ("action_plan_submitted", "", {}, {"type": "action_plan_submitted"}),
    ("dfe_improvement_notice", "", {}, {"type": "improvement_notice_issued"}),
    ("improvement_notice_issued", "", {}, {"type": "improvement_notice_issued"}),
    ("dfe_improvement_notice_lifted", "", {}, {"type": "improvement_notice_lifted"}),
    ("improvement_notice_lifted", "", {}, {"type": "improvement_notice_lifted"}),
    (
        "statutory_direction",
        "appointing a commissioner",
        {},
        {"type": "statutory_direction_issued", "commissioner_review": True, "revises_earlier": False},
    ),
    (
        "statutory_direction_issued",
        "advisers",
        {},
        {"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": False},
    ),
    (
        "dfe_direction_revised",
        "the commissioner remains",
        {},
        {"type": "statutory_direction_issued", "commissioner_review": True, "revises_earlier": True},
    ),
    (
        "statutory_direction_revised",
        "partnership with Leeds",
        {},
        {"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": True},
    ),
    ("dfe_direction_lifted", "", {}, {"type": "statutory_direction_revoked"}),
    ("statutory_direction_revoked", "", {}, {"type": "statutory_direction_revoked"}),
    ("commissioner_appointed", "", {}, {"type": "commissioner_appointed"}),
    (
        "commissioner_report",
        "recommends a trust",
        {},
        {"type": "commissioner_reported", "recommendation": "alternative_delivery", "council_stance": "cooperative"},
    ),
    (
        "commissioner_report_submitted",
        "council keeps control",
        {},
        {"type": "commissioner_reported", "recommendation": "retain", "council_stance": "cooperative"},
    ),
    (
        "commissioner_report_published",
        "partnership with Leeds",
        {},
        {"type": "commissioner_reported", "recommendation": "retain_with_partner", "council_stance": "cooperative"},
    ),
    ("commissioner_replaced", "", {}, {"type": _NOTE, "kind": "commissioner_replaced"}),
    ("commissioner_withdrawn", "", {}, {"type": _NOTE, "kind": "commissioner_withdrawn"}),
    ("improvement_partner_appointed", "", {}, {"type": _NOTE, "kind": "improvement_partner_appointed"}),
    ("dfe_progress_review", "progress too slow", {}, {"type": "progress_review_completed", "outcome": "insufficient"}),
    (
        "dfe_progress_review_completed",
        "",
        {"outcome": "Insufficient"},
        {"type": "progress_review_completed", "outcome": "insufficient"},
    ),
    ("dfe_progress_review_completed", "", {}, {"type": "progress_review_completed", "outcome": "sufficient"}),
    ("insufficient_progress", "", {}, {"type": "progress_review_completed", "outcome": "insufficient"}),
    ("adm_decision", "an independent trust", {}, {"type": "alternative_delivery_decided", "form": "imposed_trust"}),
    ("adm_decided", "a council-owned company", {}, {"type": "alternative_delivery_decided", "form": "council_company"}),
    ("adm_incorporated", "", {}, {"type": _NOTE, "kind": "adm_incorporated"}),
    ("adm_go_live", "", {}, {"type": "alternative_delivery_live"}),
    ("adm_restructured", "", {}, {"type": _NOTE, "kind": "adm_restructured"}),
    ("contract_renewal", "", {}, {"type": _NOTE, "kind": "contract_renewal"}),
    ("adm_ended", "", {}, {"type": "alternative_delivery_ended"}),
    ("services_returned", "", {}, {"type": "alternative_delivery_ended"}),
    ("returned_in_house", "", {}, {"type": "alternative_delivery_ended"}),
    ("Services returned to council", "", {}, {"type": "alternative_delivery_ended"}),  # case and spaces
    ("dclg_intervention", "", {}, {"type": _NOTE, "kind": "dclg_intervention"}),
    ("whole_council_intervention", "", {}, {"type": _NOTE, "kind": "whole_council_intervention"}),
    ("independent_inquiry", "", {}, {"type": _NOTE, "kind": "independent_inquiry"}),
    ("independent_review", "", {}, {"type": _NOTE, "kind": "independent_review"}),
    ("prior_status", "", {}, {"type": _NOTE, "kind": "prior_status"}),
    ("intervention_exit_proposed", "", {}, {"type": _NOTE, "kind": "intervention_exit_proposed"}),
    ("ofsted_report_received", "", {}, {"type": _NOTE, "kind": "ofsted_report_received"}),
    ("dfe_intervention_ended", "", {}, {"type": "improvement_notice_lifted"}),  # the notice opened before it
    ("support-and-supervision-ended", "", {}, {"type": "support_and_supervision_ended"}),  # hyphens
]


@pytest.mark.parametrize(("kind", "detail", "fields", "fact"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_every_research_type_becomes_its_fact(
    tmp_path: Path, kind: str, detail: str, fields: dict[str, Any], fact: dict[str, Any]
) -> None:
    event = {"type": kind, **({"detail": detail} if detail else {}), **fields}
    expected = {**fact, **({"detail": detail} if fact["type"] == _NOTE and detail else {})}
    if fact["type"] == _NOTE:
        expected["kind"] = kind
    assert _last_fact(tmp_path, event) == expected


def test_every_type_the_data_readme_names_is_covered_above() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## timelines/*.yaml") : readme.index("## dfe_interventions.csv")]
    named = set(re.findall(r"`([a-z_]+)`", section.split("Event types used")[1]))
    assert named - {kind for kind, *_ in CASES} == set()
    assert len(named) == 23


def test_services_returning_from_a_trust_bring_the_council_back(tmp_path: Path) -> None:
    # The case (a): without `alternative_delivery_ended` the council stayed "in a trust" for ever.
    path = _write(tmp_path / "notes.yaml", [
        {"date": "2016-11-25", "type": "adm_decision", "detail": "a children's trust set up with the council"},
        {"date": "2017-10-01", "type": "adm_go_live"},
        {"date": "2023-04", "type": "returned_in_house", "detail": "services back with the council"},
    ])  # fmt: skip
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))
    import_timeline(engine, read_timeline(path, COUNCILS))
    assert engine.state("382", as_of=dt.date(2023, 3, 31)).states["delivery"] != "council"
    assert engine.state("382", as_of=dt.date(2023, 4, 1)).states["delivery"] == "council"


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mapping_file_adds_types_with_field_mappings_and_constants(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, (
        "trust_launch:\n"
        "  fact: alternative_delivery_live\n"
        "  fields: {provider: trust_name}\n"
        "trust_set_up:\n"
        "  fact: alternative_delivery_decided\n"
        "  constants: {form: partner_council}\n"
        "Ombudsman Report: note\n"
        "press_cutting:\n"
        "  fact: note\n"
        "  fields: {detail: headline}\n"
        "  constants: {kind: press}\n"
    ))  # fmt: skip
    assert _last_fact(tmp_path, {"type": "trust_launch", "trust_name": "Kirklees Children's Trust"}, mapping) == {
        "type": "alternative_delivery_live", "provider": "Kirklees Children's Trust"}  # fmt: skip
    # A constant wins over the reading of the text ("independent trust" would read as imposed_trust).
    assert _last_fact(tmp_path, {"type": "trust_set_up", "detail": "an independent trust"}, mapping) == {
        "type": "alternative_delivery_decided", "form": "partner_council"}  # fmt: skip
    assert _last_fact(tmp_path, {"type": "ombudsman_report", "detail": "upheld"}, mapping) == {
        "type": _NOTE, "kind": "ombudsman_report", "detail": "upheld"}  # fmt: skip
    assert _last_fact(tmp_path, {"type": "press_cutting", "detail": "x", "headline": "Trust praised"}, mapping) == {
        "type": _NOTE, "kind": "press", "detail": "Trust praised"}  # fmt: skip


def test_a_mapping_file_overrides_a_built_in_type_and_unmapped_fields_are_read_as_before(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "adm_restructured: alternative_delivery_decided\nadm_go_live: note\n")
    assert _last_fact(tmp_path, {"type": "adm_restructured", "detail": "now a council-owned company"}, mapping) == {
        "type": "alternative_delivery_decided", "form": "council_company"}  # fmt: skip
    assert _last_fact(tmp_path, {"type": "adm_go_live"}, mapping) == {"type": _NOTE, "kind": "adm_go_live"}


def test_types_still_unknown_after_the_mapping_are_counted_in_the_report(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, "ombudsman_report: note\n")
    path = _write(tmp_path / "notes.yaml", [
        {"date": "2020-01-01", "type": "ombudsman_report"}, {"date": "2020-02-01", "type": "press_release"},
        {"date": "2020-03-01", "type": "press_release"},
    ])  # fmt: skip
    report = timeline_report(read_timeline(path, COUNCILS, load_mapping(mapping)))
    assert report["unknown_types"] == {"press_release": 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("trust_launch: alternative_delivery_started\n",
         r"mapping.yaml, line 1: trust_launch: unknown fact type 'alternative_delivery_started'; did you mean "
         r"'alternative_delivery_ended'\? \(known: "),
        ("a: note\ntrust_launch:\n  fact: alternative_delivery_live\n  fields: {trust: trust_name}\n",
         r"mapping.yaml, line 4: trust_launch: alternative_delivery_live has no field 'trust'; its fields: source, "
         r"confidence, note, provider"),
        ("trust_set_up:\n  fact: alternative_delivery_decided\n  constants:\n    form: mutual\n",
         r"mapping.yaml, line 3: trust_set_up: constants.form = 'mutual': Input should be 'partnership_trust', "),
        ("trust_set_up:\n  fact: alternative_delivery_decided\n  constant: {form: imposed_trust}\n",
         r"mapping.yaml, line 3: trust_set_up: unknown key 'constant'; known: fact, fields, constants"),
        ("trust_launch:\n  fact: alternative_delivery_live\n  fields: {provider: 3}\n",
         r"mapping.yaml, line 3: trust_launch: fields.provider names an event field, not 3"),
        ("trust_launch:\n  fields: {provider: trust_name}\n",
         r"mapping.yaml, line 1: trust_launch: unknown fact type None"),
        ("trust_launch: [alternative_delivery_live]\n",
         r"mapping.yaml, line 1: trust_launch: give a fact type, `note`, or a mapping with fact, fields, constants"),
        ("- trust_launch\n", r"mapping.yaml, line 1: a mapping file maps research types to facts"),
        ("a: note\na: note\n", r"mapping.yaml, line 2: duplicate key 'a'"),
        ("a: [note\n", r"mapping.yaml, line 2: not valid YAML"),
        ("registered: council_registered\n", r"mapping.yaml, line 1: registered: unknown fact type "
                                             r"'council_registered'"),
    ],
)  # fmt: skip
def test_a_bad_mapping_file_is_refused_naming_file_line_and_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InvalidImport, match=message):
        load_mapping(_mapping(tmp_path, text))


def test_an_empty_mapping_file_changes_nothing(tmp_path: Path) -> None:
    assert load_mapping(_mapping(tmp_path, "# nothing yet\n")) == {}


def test_the_documented_example_mapping_works(tmp_path: Path) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    mapping_text, timeline_text = re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)[:2]
    mapping = load_mapping(_mapping(tmp_path, mapping_text))
    path = tmp_path / "notes.yaml"
    path.write_text(timeline_text, encoding="utf-8")
    found = read_timeline(path, COUNCILS, mapping)
    facts = [{k: v for k, v in fact_to_data(fact).items() if k not in ("source", "confidence", "note")}
             for fact in found.facts]  # fmt: skip
    assert facts == [
        {"type": "alternative_delivery_decided", "occurred_on": "2016-03-01", "date_precision": "month",
         "form": "council_company"},
        {"type": "alternative_delivery_live", "occurred_on": "2017-04-01",
         "provider": "Example Children's Services Ltd"},
        {"type": "note_recorded", "occurred_on": "2019-06-12", "kind": "ombudsman_report",
         "detail": "complaint about a placement upheld"},
        {"type": "alternative_delivery_ended", "occurred_on": "2024-04-01"},
        {"type": "note_recorded", "occurred_on": "2024-05-01", "kind": "press_release"},
    ]  # fmt: skip
    assert timeline_report(found)["unknown_types"] == {"press_release": 1}


def test_the_documented_replay_command_reads_the_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    mapping_text, timeline_text = re.findall(r"```yaml\n(.*?)```", docs, flags=re.DOTALL)[:2]
    [command] = [line for line in docs.splitlines() if line.startswith("intervention-engine replay ")]
    (tmp_path / "mapping.yaml").write_text(mapping_text, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text(timeline_text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = [str(COUNCILS) if arg == "../shared/data/councils.csv" else arg for arg in command.split()[1:]]
    result = CliRunner().invoke(app, [*args, "--as-of", "2025-01-01", "--db", str(tmp_path / "store.sqlite")])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)["timelines"]
    assert (report["council"], report["facts"], report["unknown_types"]) == ("314", 5, {"press_release": 1})
    assert report["partial_dates"] == ["line 3: 2016-03 placed on 2016-03-01 (month: first day)"]


def test_replay_refuses_a_bad_mapping_file_before_recording_anything(tmp_path: Path) -> None:
    (tmp_path / "mapping.yaml").write_text("trust_launch: trust_live\n", encoding="utf-8")
    notes = _write(tmp_path / "notes.yaml", [{"date": "2017-01-05", "type": "dfe_improvement_notice"}])
    store = tmp_path / "store.sqlite"
    result = CliRunner().invoke(app, ["replay", "--councils", str(COUNCILS), "--mapping",
                                      str(tmp_path / "mapping.yaml"), str(notes), "--db", str(store)])  # fmt: skip
    assert result.exit_code != 0
    assert "mapping.yaml, line 1: trust_launch: unknown fact type 'trust_live'" in result.output
    assert not store.exists()
