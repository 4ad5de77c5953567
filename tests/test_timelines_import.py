"""The research-timeline importer: real notes load directly, messy parts are kept and reported, never dropped.

Each test writes the few events it needs into a small timeline of its own (`timeline`); only the first test reads
the shared research timelines, as they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from intervention_engine import InvalidImport, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id
from intervention_engine.engine import InterventionEngine
from intervention_engine.facts import fact_to_data
from intervention_engine.history.council_names import UnknownCouncil
from intervention_engine.history.timelines import (
    TimelineImport,
    import_timeline,
    is_research_timeline,
    read_timeline,
    timeline_report,
)

from shared_data import DATA

TIMELINES = sorted((DATA / "timelines").glob("*.yaml"))
COUNCILS = DATA / "councils.csv"
Write = Callable[..., Path]
# A SIF report of 14 February 2014: inadequate, but not in every key judgement (so not systemic).
_SIF_INADEQUATE_2014 = {
    "date": "2014-02-14", "type": "ofsted_judgement_published", "framework": "SIF", "fieldwork_start": "2013-11-19",
    "fieldwork_end": "2013-12-11", "grades": {"overall_effectiveness": "inadequate", "help_and_protection":
    "inadequate", "children_looked_after_and_permanence": "good", "leadership_management_governance": "good"},
}  # fmt: skip


@pytest.fixture
def timeline(tmp_path: Path) -> Write:
    """Write a small research timeline: `timeline(events, la_key=..., council=...)` → its path."""

    def write(events: list[dict[str, Any]], la_key: str | None = "kirklees", council: str | None = None) -> Path:
        head = {key: value for key, value in (("council", council), ("la_key", la_key)) if value is not None}
        path = tmp_path / "notes.yaml"
        path.write_text(yaml.safe_dump({**head, "events": events}, sort_keys=False, width=1000), encoding="utf-8")
        return path

    return write


def _engine() -> InterventionEngine:
    return build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2000, 1, 1)))


def _read(path: Path) -> TimelineImport:
    return read_timeline(path, COUNCILS)


@pytest.mark.parametrize("path", TIMELINES, ids=[path.stem for path in TIMELINES])
def test_every_shared_timeline_imports(path: Path) -> None:
    found = read_timeline(path)
    engine = _engine()
    import_timeline(engine, found)
    events = engine.store.events.get(council_id(found.registration.code))
    stored = iter([event.fact for event in events if type(event).__name__ == "FactRecorded"])
    # Every event of the file is in the store, in order (policies may have recorded facts of their own between).
    assert all(fact_to_data(fact) in stored for fact in found.facts)
    assert not found.unknown_types


def test_a_commissioner_before_any_direction_implies_the_direction_and_the_states_follow(
    timeline: Write,
) -> None:
    path = timeline(
        [{"date": "2014-10", "type": "commissioner_appointed", "detail": "Malcolm Newsam appointed Commissioner"}],
        la_key="rotherham",
    )
    engine = _engine()
    import_timeline(engine, _read(path))
    assert engine.state("372", as_of=dt.date(2014, 10, 31)).states["instrument"] == "commissioner_review"
    assert [d for d in engine.deviations("372") if d["rule_id"] == "LIFECYCLE"] == []
    [inferred] = [e.data["fact"] for e in engine.timeline("372") if e.data.get("fact", {}).get("inferred")]
    assert (inferred["type"], inferred["occurred_on"], inferred["implied_by"]) == (
        "statutory_direction_issued",
        "2014-10-01",
        "commissioner_appointed on 2014-10-01",
    )


@pytest.mark.parametrize(
    ("la_key", "council", "code"),
    [
        ("tower hamlets", None, "211"),
        ("tower_hamlets", None, "211"),
        ("Tower-Hamlets", "London Borough of Tower Hamlets", "211"),
        (None, "Rotherham Metropolitan Borough Council", "372"),  # `council` alone names it
        ("382", "Kirklees Council", "382"),  # the DfE code
        ("E08000034", None, "382"),  # the ONS code
    ],
)
def test_the_council_is_found_as_people_write_it(
    timeline: Write, la_key: str | None, council: str | None, code: str
) -> None:
    found = _read(timeline([], la_key=la_key, council=council))
    assert (found.registration.code, found.registration.source) == (code, "council identity table (councils.csv)")


def test_a_near_miss_council_is_refused_naming_the_line_and_a_suggestion(timeline: Write) -> None:
    path = timeline([], la_key="Kirklee", council="Kirklees Council")
    with pytest.raises(UnknownCouncil) as error:
        _read(path)
    assert str(error.value) == (
        f"{path}, line 2, field la_key: unknown council 'Kirklee': not a name or code in councils.csv; did you "
        "mean Kirklees (382)?"
    )


def test_la_key_and_council_naming_two_councils_is_refused(timeline: Write) -> None:
    path = timeline([], la_key="kirklees", council="Leeds City Council")
    with pytest.raises(UnknownCouncil, match=r"notes.yaml, line 1: the file names two councils: la_key names "
                       r"Kirklees \(382\) and council names Leeds \(383\)"):  # fmt: skip
        _read(path)


def test_a_timeline_named_only_in_words_is_recognised_as_a_research_timeline(timeline: Write, tmp_path: Path) -> None:
    assert is_research_timeline(timeline([], la_key=None, council="Kirklees Council"))
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text('council:\n  code: "382"\nevents: []\n', encoding="utf-8")
    assert not is_research_timeline(scenario)


def test_a_revised_direction_replaces_the_open_one_and_keeps_the_commissioner_when_its_text_says_so(
    timeline: Write,
) -> None:
    found = _read(timeline([
        {"date": "2016-11-25", "type": "statutory_direction", "detail": "direction appointing a commissioner"},
        {"date": "2017-09-14", "type": "dfe_direction_revised", "detail": "revised direction; the commissioner "
                                                                          "continues to oversee the partnership"},
        {"date": "2018-03-01", "type": "dfe_direction_revised", "detail": "commissioner withdrawn; partnership "
                                                                          "with Leeds"},
    ]))  # fmt: skip
    assert [fact_to_data(fact) | {"note": "-"} for fact in found.facts] == [
        {"type": "statutory_direction_issued", "occurred_on": "2016-11-25", "commissioner_review": True,
         "revises_earlier": False, "note": "-"},
        {"type": "statutory_direction_issued", "occurred_on": "2017-09-14", "commissioner_review": True,
         "revises_earlier": True, "note": "-"},
        {"type": "statutory_direction_issued", "occurred_on": "2018-03-01", "commissioner_review": False,
         "revises_earlier": True, "note": "-"},
    ]  # fmt: skip
    engine = _engine()
    import_timeline(engine, found)
    assert engine.state("382", as_of=dt.date(2017, 9, 15)).states["instrument"] == "commissioner_review"
    assert not [d for d in engine.deviations("382") if d["rule_id"] == "LIFECYCLE"]


def test_a_pre_sif_judgement_is_an_inspection_that_counts_for_persistent_failure(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2011", "type": "pre_sif_judgement", "detail": "Ofsted judges children's services inadequate",
         "source": "https://example.org/a", "confidence": "medium"},
        _SIF_INADEQUATE_2014,
    ], la_key="slough"))  # fmt: skip
    assert fact_to_data(found.facts[0]) == {
        "type": "inspection_published", "occurred_on": "2011-01-01", "date_precision": "year",
        "fieldwork_start": "2011-01-01", "fieldwork_end": "2011-01-01", "framework": "pre_sif",
        "judgements": {"overall": "inadequate"}, "source": "https://example.org/a", "confidence": "medium",
        "note": "Ofsted judges children's services inadequate",
    }  # fmt: skip
    assert found.assumptions == ["line 3: no fieldwork dates: the publication day 2011-01-01 is used for both"]
    assert timeline_report(found)["assumptions"] == found.assumptions
    engine = _engine()
    import_timeline(engine, found)
    expected = [entry.summary for entry in engine.timeline("871") if entry.summary.startswith("expected:")]
    # DFE-03: the 2014 judgement is the second inadequate within five years, counting the pre-SIF one.
    assert any("persistent failure: inadequate twice within five years" in text and "2014-08-14" in text
               for text in expected)  # fmt: skip


def test_an_inadequate_judgement_just_over_five_years_after_a_pre_sif_one_is_not_persistent(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2009-02-13", "type": "pre_sif_judgement", "detail": "safeguarding inadequate",
         "fieldwork_start": "2009-01-12", "fieldwork_end": "2009-01-23"},
        _SIF_INADEQUATE_2014,
    ], la_key="slough"))  # fmt: skip
    assert not found.assumptions  # fieldwork given: nothing assumed
    engine = _engine()
    import_timeline(engine, found)
    assert not [e for e in engine.timeline("871") if "persistent failure" in e.summary]


def test_a_pre_sif_adequate_is_requires_improvement_and_the_fact_says_so(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2012-05-04", "type": "ofsted_judgement_published", "detail": "safeguarding and LAC inspection",
         "fieldwork_start": "2012-03-12", "fieldwork_end": "2012-03-23", "grades": {"overall_effectiveness":
                                                                                      "adequate"}},
    ]))  # fmt: skip
    [fact] = found.facts
    data = fact_to_data(fact)
    assert (data["framework"], data["judgements"]) == ("pre_sif", {"overall": "requires_improvement"})
    assert data["note"] == (
        "safeguarding and LAC inspection; pre-SIF 'adequate' recorded as requires_improvement (ILACS-01: the grade "
        "that replaced it)"
    )


def test_a_pre_sif_judgement_with_no_grade_is_kept_as_a_note_with_the_reason(timeline: Write) -> None:
    found = _read(timeline([{"date": "2010", "type": "pre_sif_judgement", "detail": "safeguarding inspection"}]))
    assert fact_to_data(found.facts[0])["type"] == "note_recorded"
    assert found.notes == ["line 3: pre_sif_judgement (no overall grade in its grades or detail)"]
    assert not found.unknown_types  # a known type: not reported as unknown


def test_a_pre_sif_judgement_whose_fieldwork_is_under_sif_is_refused(timeline: Write) -> None:
    path = timeline([{"date": "2014-03-01", "type": "pre_sif_judgement", "detail": "inadequate",
                      "fieldwork_start": "2014-01-06", "fieldwork_end": "2014-01-31"}])  # fmt: skip
    with pytest.raises(InvalidImport, match=r"notes.yaml, line 3: invalid fact 'inspection_published': .*framework "
                       r"pre_sif does not match fieldwork starting 2014-01-06"):  # fmt: skip
        _read(path)


def test_an_intervention_ended_with_nothing_open_is_a_note_with_the_reason(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2019-05-01", "type": "dfe_intervention_ended", "detail": "intervention ends"},
        {"date": "2019-06-01", "type": "dfe_improvement_notice"},
        {"date": "2020-06-01", "type": "dfe_intervention_ended"},
    ]))  # fmt: skip
    assert [fact.describe() for fact in found.facts] == ["note_recorded", "improvement_notice_issued",
                                                         "improvement_notice_lifted"]  # fmt: skip
    assert found.notes == [
        "line 3: dfe_intervention_ended (no improvement notice, direction or support and supervision open)"
    ]


def test_a_published_report_already_on_record_is_a_note_and_a_new_direction_opens_the_next(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2016-11-25", "type": "statutory_direction", "detail": "commissioner appointed by direction"},
        {"date": "2017-03-31", "type": "commissioner_report_submitted", "detail": "recommends partnership"},
        {"date": "2017-09-14", "type": "commissioner_report_published", "detail": "recommends partnership"},
        {"date": "2018-01-10", "type": "dfe_direction_revised", "detail": "commissioner re-appointed"},
        {"date": "2018-07-01", "type": "commissioner_report_published", "detail": "council keeps control"},
    ]))  # fmt: skip
    assert [fact.describe() for fact in found.facts] == [
        "statutory_direction_issued", "commissioner_reported", "note_recorded", "statutory_direction_issued",
        "commissioner_reported",
    ]  # fmt: skip
    assert found.notes == ["line 9: commissioner_report_published (the report is on record already (line 6))"]


def test_unknown_event_types_are_kept_as_notes_and_counted_in_the_report(timeline: Write) -> None:
    found = _read(timeline([
        {"date": "2020-01-01", "type": "ombudsman_report", "detail": "a complaint upheld"},
        {"date": "2021-01-01", "type": "ombudsman_report", "detail": "another"},
        {"date": "2022-01-01", "type": "press_release"},
        {"date": "2022-02-01", "detail": "no type at all"},
        {"date": "2022-03-01", "type": "independent_review", "detail": "a known note"},
    ]))  # fmt: skip
    report = timeline_report(found)
    assert report["unknown_types"] == {"ombudsman_report": 2, "press_release": 1, "(no type)": 1}
    assert list(report["unknown_types"]) == ["ombudsman_report", "press_release", "(no type)"]  # most first
    assert report["kept_as_notes"] == [
        "line 3: ombudsman_report (unknown type)", "line 6: ombudsman_report (unknown type)",
        "line 9: press_release (unknown type)", "line 11: (no type) (unknown type)", "line 13: independent_review",
    ]  # fmt: skip
    assert (report["council"], report["facts"]) == ("382", 5)
    engine = _engine()
    import_timeline(engine, found)
    notes = [entry.summary for entry in engine.timeline("382") if entry.summary.startswith("note (")]
    assert "note (ombudsman_report): a complaint upheld" in notes
    assert "note (untyped): no type at all" in notes


def test_a_year_listed_after_a_month_never_reorders_the_instruments(timeline: Write) -> None:
    # The issue's case (d): the notice dated only `2015` comes after the inadequate report of September 2015 in
    # the file; it is recorded after it, on that day, and the report says how it was placed.
    found = _read(timeline([
        {"date": "2015-09", "type": "ofsted_judgement_published", "framework": "SIF", "fieldwork_start": "2015-06-01",
         "fieldwork_end": "2015-06-25", "grades": {"overall_effectiveness": "inadequate", "help_and_protection":
         "inadequate", "children_looked_after_and_permanence": "good", "leadership_management_governance": "good"}},
        {"date": "2015", "type": "dfe_improvement_notice"},
        {"date": "2016-Q1", "type": "dfe_improvement_notice_lifted"},
    ]))  # fmt: skip
    assert [(fact.describe(), fact.occurred_on, fact.date_precision) for fact in found.facts] == [
        ("inspection_published", dt.date(2015, 9, 1), "month"),
        ("improvement_notice_issued", dt.date(2015, 9, 1), "year"),
        ("improvement_notice_lifted", dt.date(2016, 1, 1), "quarter"),
    ]
    assert found.placed == [
        "line 3: 2015-09 placed on 2015-09-01 (month: first day)",
        "line 13: 2015 placed on 2015-09-01 (year: not before the event listed before it, line 3)",
        "line 15: 2016-Q1 placed on 2016-01-01 (quarter: first day)",
    ]


def test_a_malformed_date_names_the_file_and_line(timeline: Write) -> None:
    path = timeline([{"date": "2017-01-05", "type": "dfe_improvement_notice"},
                     {"date": "March 2017", "type": "dfe_improvement_notice_lifted"}])  # fmt: skip
    with pytest.raises(InvalidImport, match=r"notes.yaml, line 5, field date: 'March 2017' is not a date"):
        _read(path)


def test_an_event_that_is_not_a_mapping_names_its_line(timeline: Write) -> None:
    path = timeline([{"date": "2017-01-05", "type": "dfe_improvement_notice"}, "a notice was lifted"])
    with pytest.raises(InvalidImport, match=r"notes.yaml, line 5: an event is a mapping"):
        _read(path)


def test_a_file_without_council_or_events_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("events: []\n", encoding="utf-8")
    with pytest.raises(InvalidImport, match=r"empty.yaml, line 1: a timeline needs `la_key` or `council`"):
        read_timeline(path, COUNCILS)
