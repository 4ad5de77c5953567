"""The engine on every backend: recording, rejection without damage, timers, as-of queries, snapshots."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from intervention_engine import (
    CouncilAlreadyRegistered,
    CouncilNotFound,
    FactInFuture,
    FactOutOfOrder,
    InterventionEngine,
    InvalidFact,
    MoveNotAllowed,
    Settings,
    SystemClock,
    VirtualClock,
    build_engine,
)
from intervention_engine.aggregates.council import council_id

from factories import inspection, registration

D = dt.date


def stored(engine: InterventionEngine) -> list[tuple[Any, int, str, bytes]]:
    """Every stored event, byte for byte, in notification order."""
    rows = engine.store.recorder.select_notifications(None, 100_000)
    return [(row.originator_id, row.originator_version, row.topic, row.state) for row in rows]


def kirklees_inadequate(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))


def pending_kinds(engine: InterventionEngine, council: str = "382", rules: str = "ILACS-") -> dict[str, str]:
    """Pending timers of one council by kind, for the rules whose ids start with `rules` (Ofsted's by default)."""
    return {t["kind"]: t["due_on"] for t in engine.state(council).pending_timers if t["rule_id"].startswith(rules)}


def test_a_registered_council_is_found_by_code_or_name(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    assert engine.state("382").name == "Kirklees"
    assert engine.state("kirklees").council == "382"
    assert engine.councils() == [("382", "Kirklees")]


def test_the_stream_id_is_derived_from_the_council_code(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    assert {row[0] for row in stored(engine)} == {council_id("382")}


def test_an_unknown_council_is_named_in_the_error(engine: InterventionEngine) -> None:
    with pytest.raises(CouncilNotFound, match="'Nowhere' is not registered"):
        engine.record("Nowhere", {"type": "action_plan_submitted", "occurred_on": "2017-01-01"})


def test_a_council_cannot_be_registered_twice(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    before = stored(engine)
    with pytest.raises(CouncilAlreadyRegistered, match="382"):
        engine.record(None, registration(name="Kirklees again"))
    assert stored(engine) == before


def test_an_illegal_move_is_rejected_naming_council_states_fact_and_legal_moves(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    before = stored(engine)
    with pytest.raises(MoveNotAllowed) as caught:
        engine.record("382", {"type": "improvement_notice_lifted", "occurred_on": "2017-01-10"})
    message = str(caught.value)
    assert "'382'" in message
    assert "improvement_notice_lifted" in message
    assert "instrument=none" in message
    # The legal moves as fact types users type (RULES.md, from inadequate with no instrument), never the refused
    # one although the supervision region alone would take a lifted notice (issue 13 item 5).
    assert message.endswith(
        "Legal moves now: action_plan_submitted, alternative_delivery_decided, improvement_notice_issued, "
        "inspection_published, monitoring_visit_published, statutory_direction_issued, support_and_supervision_ended"
    )
    assert caught.value.legal["supervision"] == ["support_and_supervision_ended"]
    assert stored(engine) == before


def test_a_rejected_fact_also_discards_the_timers_it_would_have_fired(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    before = stored(engine)
    # The action plan timer (due 2017-03-08) would fire first, but the fact is illegal: nothing is kept.
    with pytest.raises(MoveNotAllowed):
        engine.record("382", {"type": "statutory_direction_revoked", "occurred_on": "2017-06-01"})
    assert stored(engine) == before
    assert "action_plan_due" in pending_kinds(engine)


def test_an_invalid_fact_names_the_field_and_records_nothing(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    before = stored(engine)
    with pytest.raises(InvalidFact, match=r"occurred_on.*day value is outside expected range"):
        engine.record("382", {"type": "action_plan_submitted", "occurred_on": "2017-02-30"})
    with pytest.raises(InvalidFact, match="unknown fact type 'action_plan_submited'"):
        engine.record("382", {"type": "action_plan_submited", "occurred_on": "2017-02-03"})
    with pytest.raises(InvalidFact, match="extra_field"):
        engine.record("382", {"type": "action_plan_submitted", "occurred_on": "2017-02-03", "extra_field": 1})
    # A virtual clock would otherwise fire every quarterly timer until then (about 32,000 of them).
    with pytest.raises(InvalidFact, match=r"occurred_on.*9999-01-01 is after 2199-12-31"):
        engine.record("382", {"type": "monitoring_visit_published", "occurred_on": "9999-01-01"})
    assert stored(engine) == before


def test_lenient_mode_records_an_illegal_fact_as_a_deviation(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    # Lifting a notice never issued implies nothing the engine can date: no inference, an illegal move recorded.
    recorded = engine.record("382", {"type": "improvement_notice_lifted", "occurred_on": "2016-12-01"}, strict=False)
    assert recorded.deviation is not None
    assert "improvement_notice_lifted is not a move from none" in recorded.deviation["expected"]
    assert recorded.inferred == ()
    status = engine.state("382")
    assert status.states["supervision"] == "support_and_supervision"
    assert status.deviations == [recorded.deviation]


def test_lenient_mode_infers_the_direction_a_commissioner_implies(engine: InterventionEngine) -> None:
    """INF-01: a commissioner appointed with no direction on record implies a direction with a commissioner that
    day, recorded first and marked inferred; the appointment is then a legal move."""
    kirklees_inadequate(engine)
    recorded = engine.record(
        "382", {"type": "commissioner_appointed", "occurred_on": "2016-12-01", "source": "register"}, strict=False
    )
    assert recorded.deviation is None
    assert recorded.inferred == ("statutory direction issued with commissioner review [inferred: INF-01 (DFE-01, "
                                 "DFE-06): a commissioner is appointed under a statutory direction; implied by "
                                 "commissioner_appointed on 2016-12-01]",)  # fmt: skip
    facts = [e.data["fact"] for e in engine.timeline("382") if e.event == "FactRecorded"]
    direction, appointment = facts[-2:]
    assert direction == {
        "type": "statutory_direction_issued", "occurred_on": "2016-12-01", "commissioner_review": True,
        "revises_earlier": False, "source": "register", "confidence": "low", "inferred": True,
        "inference": "INF-01 (DFE-01, DFE-06): a commissioner is appointed under a statutory direction",
        "implied_by": "commissioner_appointed on 2016-12-01",
    }  # fmt: skip
    assert appointment == {"type": "commissioner_appointed", "occurred_on": "2016-12-01", "source": "register"}
    assert engine.state("382").states["instrument"] == "commissioner_review"
    assert engine.state("382").deviations == []


def test_strict_mode_never_infers(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    before = len(engine.timeline("382"))
    with pytest.raises(MoveNotAllowed, match="commissioner_appointed is not a move from none"):
        engine.record("382", {"type": "commissioner_appointed", "occurred_on": "2016-12-01"}, strict=True)
    assert len(engine.timeline("382")) == before


def test_facts_are_recorded_in_the_order_they_happened(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    with pytest.raises(FactOutOfOrder, match="2016-11-01 is dated before the latest recorded fact"):
        engine.record("382", {"type": "improvement_notice_issued", "occurred_on": "2016-11-01"})


def test_a_live_engine_refuses_facts_from_the_future(backend: Settings) -> None:
    live = build_engine(backend, clock=SystemClock())
    live.record(None, registration())
    tomorrow = SystemClock().today() + dt.timedelta(days=1)
    with pytest.raises(FactInFuture, match="dated after today"):
        live.record("382", {"type": "improvement_notice_issued", "occurred_on": tomorrow.isoformat()})


def test_partial_dates_keep_their_precision(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record(
        "382", {"type": "statutory_direction_issued", "occurred_on": "2016-11-25", "commissioner_review": True}
    )
    engine.record("382", {"type": "commissioner_reported", "occurred_on": "2017-03", "recommendation": "retain"})
    last = [entry for entry in engine.timeline("382") if entry.event == "FactRecorded"][-1]
    assert last.occurred_on == "2017-03-01"
    assert last.data["fact"]["date_precision"] == "month"


# ------------------------------------------------------------------------------------------------------------------
# Timers (ILACS-04, ILACS-07, ILACS-08, ILACS-09).


def test_an_inadequate_report_schedules_the_inspection_side_timers(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    assert pending_kinds(engine) == {
        "action_plan_due": "2017-03-08",  # ILACS-07: 70 working days after 25 Nov 2016
        "monitoring_visit_due": "2017-04-05",  # ILACS-08: 20 working days after the plan
        "reinspection_window_opens": "2018-09-08",  # ILACS-09: 18 months after the plan
        "reinspection_due": "2019-03-08",  # ILACS-09: 24 months after the plan
    }


def test_a_good_report_schedules_the_next_routine_inspection(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    engine.record("382", inspection(D(2022, 4, 1), "good"))
    timers = pending_kinds(engine)
    assert timers["action_plan_due"] == "2022-07-15"  # ILACS-07 and WD-01: the Gloucestershire deadline
    assert timers["next_inspection_due"] == "2025-01-21"  # ILACS-04: 36 months after fieldwork began
    assert "monitoring_visit_due" not in timers


def test_timers_carry_rule_id_and_policy_version(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    versions = {(t["rule_id"], t["policy_version"]) for t in engine.state("382").pending_timers}
    assert ("ILACS-07", "sif-2013") in versions  # the framework of the report (fieldwork from 2016-09-12)
    assert ("DFE-04", "dfe-2016-07") in versions  # the DfE regime in force on 25 Nov 2016


def test_advance_to_fires_due_timers_in_date_order_and_keeps_monitoring_quarterly(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    fired = engine.advance_to(D(2017, 10, 31))
    assert [(f.kind, f.due_on.isoformat()) for f in fired if f.rule_id.startswith("ILACS-")] == [
        ("action_plan_due", "2017-03-08"),
        ("monitoring_visit_due", "2017-04-05"),
        ("monitoring_visit_due", "2017-07-05"),
        ("monitoring_visit_due", "2017-10-05"),
    ]
    assert pending_kinds(engine)["monitoring_visit_due"] == "2018-01-05"
    assert engine.clock.today() == D(2017, 10, 31)


def test_firing_twice_has_the_effect_of_firing_once(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    first = engine.advance_to(D(2017, 3, 31))
    events = stored(engine)
    assert engine.advance_to(D(2017, 3, 31)) == []
    assert engine.fire_due(D(2017, 3, 31)) == []
    aggregate = engine.store.repository.get(council_id("382"))
    assert not aggregate.fire_timer(first[0].timer_id, policies=[], rulebook=engine.rulebook, calendar=engine.calendar)
    assert stored(engine) == events


def test_an_action_plan_cancels_its_timer_and_restarts_the_reinspection_clock(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", {"type": "action_plan_submitted", "occurred_on": "2017-02-20"})
    timers = pending_kinds(engine)
    assert "action_plan_due" not in timers
    assert timers["reinspection_window_opens"] == "2018-08-20"
    assert timers["reinspection_due"] == "2019-02-20"


def test_a_monitoring_visit_moves_the_next_one_three_months_on(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", {"type": "monitoring_visit_published", "occurred_on": "2017-05-10"})
    assert pending_kinds(engine)["monitoring_visit_due"] == "2017-08-10"


def test_monitoring_falls_due_after_the_covid_pause(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    engine.record("382", inspection(D(2019, 11, 1), "inadequate"))
    fired = engine.advance_to(D(2021, 6, 1))
    visits = [f.due_on.isoformat() for f in fired if f.kind == "monitoring_visit_due"]
    # Plan due 2020-02-12, first visit 2020-03-11; the next (2020-06-11) falls in the pause and moves to May 2021.
    assert visits == ["2020-03-11", "2021-05-01"]  # ILACS-08


def test_a_new_report_supersedes_the_previous_cycle(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", inspection(D(2019, 8, 5), "requires_improvement"))
    timers = pending_kinds(engine)
    assert set(timers) == {"action_plan_due", "next_inspection_due"}
    cancelled = [e for e in engine.timeline("382") if e.event == "TimerCancelled"]
    assert cancelled  # the old re-inspection timers were cancelled, not forgotten


def test_recording_a_fact_first_fires_the_council_timers_due_before_it(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record("382", {"type": "improvement_notice_issued", "occurred_on": "2017-05-01"})
    events = [(e.event, e.data.get("timer_id", "")) for e in engine.timeline("382")]
    fired = events.index(("TimerFired", "t1-action_plan_due"))
    notice = max(i for i, (name, _) in enumerate(events) if name == "FactRecorded")
    assert fired < notice  # the plan fell due on 2017-03-08, before the notice of 2017-05-01


def test_due_lists_pending_timers_across_councils(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record(None, registration("383", "Leeds"))
    engine.record("383", inspection(D(2015, 3, 2), "good"))
    due = [(t.council, t.kind) for t in engine.due(D(2017, 3, 31)) if t.rule_id.startswith("ILACS-")]
    assert due == [("383", "action_plan_due"), ("382", "action_plan_due")]
    assert len([t for t in engine.due() if t.rule_id.startswith("ILACS-")]) == 6


# ------------------------------------------------------------------------------------------------------------------
# Queries.


def test_state_as_of_a_date_replays_only_what_had_happened(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.record(
        "382", {"type": "statutory_direction_issued", "occurred_on": "2016-11-25", "commissioner_review": True}
    )
    engine.record("382", {"type": "commissioner_reported", "occurred_on": "2017-03-31", "recommendation": "retain"})
    assert engine.state("382", as_of=D(2016, 6, 1)).stage == "not_inspected"
    assert engine.state("382", as_of=D(2016, 12, 1)).stage == "commissioner_review"
    assert engine.state("382", as_of=D(2017, 4, 1)).stage == "statutory_direction"
    with pytest.raises(CouncilNotFound, match="registered later"):
        engine.state("382", as_of=D(2010, 1, 1))


def test_the_timeline_tells_every_event_in_words(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    lines = [f"{e.occurred_on} {e.summary}" for e in engine.timeline("382")]
    assert lines[0] == "2014-01-01 registered Kirklees (382)"
    assert lines[1] == "2016-11-25 inspection published: overall inadequate (sif)"
    assert lines[2] == "2016-11-25 timer action_plan_due scheduled, due 2017-03-08 (ILACS-07)"


def test_the_inspection_type_follows_the_previous_grade(engine: InterventionEngine) -> None:
    engine.record(None, registration())
    engine.record("382", inspection(D(2018, 6, 1), "good"))
    assert engine.state("382").latest_inspection["inspection_type"] == "standard"  # type: ignore[index]
    engine.record("382", inspection(D(2021, 9, 1), "good"))
    assert engine.state("382").latest_inspection["inspection_type"] == "short"  # type: ignore[index]


# ------------------------------------------------------------------------------------------------------------------
# Storage.


def test_every_stored_topic_is_explicit_not_a_module_path(engine: InterventionEngine) -> None:
    kirklees_inadequate(engine)
    engine.advance_to(D(2017, 12, 31))
    topics = {row[2] for row in stored(engine)}
    assert topics == {
        "intervention_engine:Council.Registered",
        "intervention_engine:Council.FactRecorded",
        "intervention_engine:Council.TimerScheduled",
        "intervention_engine:Council.TimerFired",
        "intervention_engine:Council.ExpectationOpened",
        "intervention_engine:Council.ExpectationClosed",
    }


def test_snapshots_of_a_long_stream_load_to_the_same_council(backend: Settings) -> None:
    settings = backend.model_copy(update={"snapshot_interval": 10})
    engine = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    engine.record(None, registration())
    day = D(2014, 6, 2)
    for year in range(8):
        engine.record("382", inspection(day.replace(year=2014 + year), "inadequate"))
        engine.record("382", {"type": "action_plan_submitted", "occurred_on": f"{2014 + year}-07-30"})
    engine.advance_to(D(2023, 1, 1))
    assert engine.store.snapshots is not None
    snapshots = list(engine.store.snapshots.get(council_id("382")))
    assert snapshots, "no snapshot was taken"
    from_snapshot = engine.store.repository.get(council_id("382"))
    replayed = None
    for event in engine.store.events.get(council_id("382")):
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert from_snapshot.__dict__ == replayed.__dict__


def test_the_host_environment_never_chooses_the_backend(monkeypatch: pytest.MonkeyPatch, backend: Settings) -> None:
    monkeypatch.setenv("PERSISTENCE_MODULE", "no.such.module")
    monkeypatch.setenv("SQLITE_DBNAME", "/nonexistent/elsewhere.sqlite")
    engine = build_engine(backend, clock=VirtualClock(D(2014, 1, 1)))
    engine.record(None, registration())
    assert engine.councils() == [("382", "Kirklees")]


def test_deviations_stored_before_they_carried_their_date_still_load(tmp_path: Path) -> None:
    """`DeviationFound` gained its own `occurred_on` (read by the as-of fold); events stored without it are upcast
    (class_version 2) from the deviation they record."""
    settings = Settings(backend="sqlite", db=tmp_path / "old.sqlite")
    engine = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    engine.record(None, registration())
    engine.record("382", inspection(D(2017, 7, 7), "inadequate"))
    direction = {"type": "statutory_direction_issued", "occurred_on": "2017-07-07", "commissioner_review": True}
    engine.record("382", direction)
    engine.record("382", {"type": "monitoring_visit_published", "occurred_on": "2017-11-20"})
    engine.record("382", inspection(D(2019, 7, 1), "good"))  # ILACS-08: re-inspected after one recorded visit
    expected = engine.state("382").deviations
    engine.close()
    assert any(d["rule_id"] == "ILACS-08" for d in expected)
    with sqlite3.connect(settings.db) as db:  # write them back as the first version stored them
        rows = db.execute("SELECT rowid, state FROM stored_events WHERE topic LIKE '%DeviationFound'").fetchall()
        assert rows
        for rowid, state in rows:
            old = json.loads(state)
            del old["occurred_on"]
            old.pop("class_version", None)  # a first-version event has none
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (json.dumps(old).encode(), rowid))
    reopened = build_engine(settings, clock=VirtualClock(D(2014, 1, 1)))
    try:
        assert reopened.state("382").deviations == expected
        assert reopened.state("382", as_of=D(2019, 7, 1)).deviations == expected
        assert [e.occurred_on for e in reopened.timeline("382") if e.event == "DeviationFound"] == ["2019-07-01"]
    finally:
        reopened.close()


def test_lenient_mode_reads_a_revision_with_no_direction_on_record_as_the_direction(engine: InterventionEngine) -> None:
    """INF-05: the revised direction is the record's only trace of a direction; it is read as the direction itself."""
    kirklees_inadequate(engine)
    revision = {"type": "statutory_direction_issued", "occurred_on": "2016-12-01", "commissioner_review": False,
                "revises_earlier": True}  # fmt: skip
    recorded = engine.record("382", revision, strict=False)
    assert (recorded.deviation, recorded.inferred) == (None, ())
    [stored] = [e.data["fact"] for e in engine.timeline("382") if e.event == "FactRecorded"][-1:]
    assert stored == {
        "type": "statutory_direction_issued", "occurred_on": "2016-12-01", "commissioner_review": False,
        "revises_earlier": False,
        "inference": "INF-05 (DFE-01): a revised direction with no direction on record is read as the direction itself",
    }  # fmt: skip
    assert engine.state("382").states["instrument"] == "statutory_direction"


def test_lenient_mode_infers_the_decision_services_going_live_imply(engine: InterventionEngine) -> None:
    """INF-03 (DFE-07): services live with no decision on record imply the decision that day, in the live fact's form
    (`other` when the source gives none)."""
    kirklees_inadequate(engine)
    live = {"type": "alternative_delivery_live", "occurred_on": "2017-04-01", "form": "partner_council"}
    recorded = engine.record("382", live, strict=False)
    assert recorded.deviation is None
    assert recorded.inferred == (
        "alternative delivery decided, form partner_council [inferred: INF-03 (DFE-07): services go live outside the "
        "council after a decision to move them; implied by alternative_delivery_live on 2017-04-01]",
    )
    assert engine.state("382").states["delivery"] == "partner_council"
    engine.record("382", {"type": "alternative_delivery_ended", "occurred_on": "2018-01-01"})
    no_form = engine.record("382", {"type": "alternative_delivery_live", "occurred_on": "2018-02-01"}, strict=False)
    assert no_form.inferred[0].startswith("alternative delivery decided, form other [inferred: INF-03")
    assert (
        engine.state("382").states["delivery"] == "trust"
    )  # any form but a partner council is delivered at arm's length


def test_lenient_mode_reads_a_direction_issued_while_one_is_open_as_a_revision(engine: InterventionEngine) -> None:
    """INF-04 (DFE-01): a direction remains in force until revoked, so another one issued meanwhile revises it."""
    kirklees_inadequate(engine)
    engine.record(
        "382", {"type": "statutory_direction_issued", "occurred_on": "2016-11-25", "commissioner_review": True}
    )
    second = {"type": "statutory_direction_issued", "occurred_on": "2017-09-14", "commissioner_review": False}
    recorded = engine.record("382", second, strict=False)
    assert (recorded.deviation, recorded.inferred) == (None, ())
    stored = [e.data["fact"] for e in engine.timeline("382") if e.event == "FactRecorded"][-1]
    assert (stored["revises_earlier"], stored["inference"]) == (
        True,
        "INF-04 (DFE-01): a direction issued while another is open (in force until revoked) revises it",
    )
    assert engine.state("382").states["instrument"] == "statutory_direction"
