"""Every expectation's due date beside its deadline timer's, and nothing left pending once an expectation closes
(DESIGN decision 9; DFE-02, DFE-03, DFE-03b, DFE-04, DFE-07, DFE-08).

Each row opens one kind of expectation from a real-looking history; its deadline (written out by hand from the
months RULES.md gives) is asserted on the expectation and on its deadline timer alike, with the rule and the
policy version. Then the expectation is met, contradicted, withdrawn or missed, and no timer of it may be left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intervention_engine import InterventionEngine, InterventionError, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import EXPECTATION_DEADLINE, PENDING, Council, council_id
from intervention_engine.aggregates.expectations import OPEN

from factories import GRADES, NOT_SYSTEMIC, SIMPLE, drawn_fact, inspection, registration
from factories import fact_on as fact

D = dt.date
Step = dict[str, Any]


def inadequate(on: dt.date, *, systemic: bool = False) -> Step:
    return inspection(on, "inadequate", **({} if systemic else NOT_SYSTEMIC))


def engine_with(steps: Sequence[Step]) -> InterventionEngine:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2010, 1, 1)))
    engine.record(None, registration(on="2010-01-01"))
    for step in steps:
        engine.record("382", step, strict=False)
    return engine


def council(engine: InterventionEngine) -> Council:
    found: Council = engine.store.repository.get(council_id("382"))
    return found


def assert_deadlines_follow_expectations(found: Council) -> None:
    """An open expectation with a due date has exactly one pending deadline timer, due the same day, with the same
    rule and version; a closed one has none; and every deadline timer belongs to an expectation."""
    deadlines = {tid: t for tid, t in found.timers.items() if t["kind"] == EXPECTATION_DEADLINE}
    for expectation_id, expectation in found.expectations.items():
        pending = [t for t in deadlines.values() if t["subject"] == expectation_id and t["status"] == PENDING]
        if expectation["status"] == OPEN and expectation["due_on"] is not None:
            assert [(t["due_on"], t["rule_id"], t["policy_version"]) for t in pending] == [
                (expectation["due_on"], expectation["rule_id"], expectation["policy_version"])
            ], expectation_id
        else:
            assert pending == [], f"{expectation_id} is {expectation['status']} but its deadline is pending"
    assert all(t["subject"] in found.expectations for t in deadlines.values())


# (name, history, kind, rule, version, due, a fact meeting it, a fact contradicting it or None)
OPENED = [
    # A first failure under SIF, not systemic (Manchester 2014): any instrument under dfe-2013-11 (DFE-02).
    ("dfe02-any-instrument", [inadequate(D(2014, 9, 1))], "dfe_intervention", "DFE-02", "dfe-2013-11", "2015-03-01",
     fact("improvement_notice_issued", D(2014, 10, 1)), None),
    ("dfe03-notice", [inadequate(D(2018, 11, 15))], "improvement_notice", "DFE-03", "dfe-2016-07", "2019-05-15",
     fact("improvement_notice_issued", D(2018, 12, 1)),
     fact("statutory_direction_issued", D(2018, 12, 1), commissioner_review=False)),
    ("dfe03-commissioner", [inadequate(D(2016, 11, 25), systemic=True)], "direction_with_commissioner", "DFE-03",
     "dfe-2016-07", "2017-05-25", fact("statutory_direction_issued", D(2016, 11, 25), commissioner_review=True),
     fact("improvement_notice_issued", D(2016, 12, 1))),
    ("dfe04-persistent",
     [inadequate(D(2013, 3, 1)), fact("improvement_notice_issued", D(2013, 4, 1)), inadequate(D(2016, 2, 1))],
     "direction_with_commissioner", "DFE-04", "dfe-2015-12", "2016-08-01",
     fact("commissioner_appointed", D(2016, 3, 1)), None),
    ("dfe03-2022-removal", [inadequate(D(2023, 3, 1), systemic=True),
                            fact("statutory_direction_issued", D(2023, 3, 1), commissioner_review=True)],
     "removal_from_council", "DFE-03", "dfe-2022", "2024-09-01",
     fact("alternative_delivery_decided", D(2023, 9, 1), form="partnership_trust"),
     fact("commissioner_reported", D(2023, 6, 1), recommendation="retain_with_partner")),
    ("dfe08-notice-lifted", [inadequate(D(2017, 6, 13)), fact("improvement_notice_issued", D(2017, 8, 8)),
                             inspection(D(2022, 4, 1), "requires_improvement")],
     "notice_lifted", "DFE-08", "dfe-2016-07", "2022-07-01", fact("improvement_notice_lifted", D(2022, 4, 1)), None),
    ("dfe08-direction-revoked",  # 54 months after the better report (Birmingham took 52 months and 9 days)
     [inadequate(D(2016, 11, 25), systemic=True),
      fact("statutory_direction_issued", D(2016, 11, 25), commissioner_review=True),
      inspection(D(2019, 8, 5), "requires_improvement")],
     "direction_revoked", "DFE-08", "dfe-2016-07", "2024-02-05", fact("statutory_direction_revoked", D(2020, 1, 13)),
     None),
    ("dfe04-insufficient-progress",
     [inadequate(D(2018, 6, 1)), fact("improvement_notice_issued", D(2018, 7, 1)),
      fact("progress_review_completed", D(2021, 3, 1), outcome="insufficient")],
     "direction_after_insufficient_progress", "DFE-04", "dfe-2016-07", "2021-06-01",
     fact("statutory_direction_issued", D(2021, 5, 10), commissioner_review=True),
     fact("improvement_notice_lifted", D(2021, 5, 10))),
    ("dfe03b-decision-within-the-year",
     [inadequate(D(2017, 1, 10), systemic=True),
      fact("statutory_direction_issued", D(2017, 1, 10), commissioner_review=True),
      fact("commissioner_reported", D(2017, 4, 10), recommendation="alternative_delivery")],
     "alternative_delivery_decided", "DFE-03b", "dfe-2016-07", "2018-04-10",
     fact("alternative_delivery_decided", D(2017, 9, 12), form="partnership_trust"), None),
    ("dfe07-go-live",  # 23 months and one: the window closes on 6 September 2018, the expectation a month later
     [inadequate(D(2016, 5, 1), systemic=True),
      fact("statutory_direction_issued", D(2016, 5, 1), commissioner_review=True),
      fact("alternative_delivery_decided", D(2016, 10, 6), form="partnership_trust")],
     "alternative_delivery_live", "DFE-07", "dfe-2016-07", "2018-10-06",
     fact("alternative_delivery_live", D(2018, 4, 1)), None),
]  # fmt: skip
IDS = [row[0] for row in OPENED]

FIRST = "first inadequate judgement, not systemic"
SYSTEMIC = "systemic failure: every key judgement inadequate"
PERSISTENT = "persistent failure: inadequate twice within five years"
# What each expectation says was expected (DFE-03's words for the failure), and what contradicted it.
WORDS = {
    "dfe02-any-instrument": f"an improvement notice or a statutory direction ({FIRST})",
    "dfe03-notice": f"an improvement notice with an adviser ({FIRST})",
    "dfe03-commissioner": f"a statutory direction with a commissioner ({SYSTEMIC})",
    "dfe04-persistent": f"a statutory direction with a commissioner ({PERSISTENT})",
    "dfe03-2022-removal": "services removed from council control unless there are compelling reasons "
    f"({SYSTEMIC}; 2022 presumption)",
    "dfe08-notice-lifted": "the improvement notice lifted after a report no longer inadequate",
    "dfe08-direction-revoked": "the statutory direction revoked after a report no longer inadequate",
    "dfe04-insufficient-progress": "a statutory direction after insufficient progress",
    "dfe03b-decision-within-the-year": "a decision to move services to a partnership trust",
    "dfe07-go-live": "the new delivery arrangement live",
}
HAPPENED = {
    "dfe03-notice": "statutory direction issued without a commissioner",
    "dfe03-commissioner": "improvement notice issued",
    "dfe03-2022-removal": "commissioner reported, recommendation retain_with_partner",
    "dfe04-insufficient-progress": "improvement notice lifted",
}


def _opened(engine: InterventionEngine, kind: str) -> dict[str, Any]:
    [found] = [e for e in engine.state("382").open_expectations if e["kind"] == kind]
    return found


@pytest.mark.parametrize(("name", "history", "kind", "rule", "version", "due", "meets", "contradicts"), OPENED, ids=IDS)
def test_every_expectation_is_due_on_the_day_its_deadline_timer_is(
    name: str, history: list[Step], kind: str, rule: str, version: str, due: str, meets: Step, contradicts: Step | None
) -> None:
    engine = engine_with(history)
    opened = _opened(engine, kind)
    assert (opened["rule_id"], opened["policy_version"], opened["due_on"]) == (rule, version, due)
    assert opened["expected"] == WORDS[name]
    [timer] = [t for t in council(engine).timers.values() if t["subject"] == opened["expectation_id"]]
    assert (timer["kind"], timer["status"], timer["due_on"]) == (EXPECTATION_DEADLINE, PENDING, due)
    assert (timer["rule_id"], timer["policy_version"]) == (rule, version)
    assert_deadlines_follow_expectations(council(engine))


@pytest.mark.parametrize(("name", "history", "kind", "rule", "version", "due", "meets", "contradicts"), OPENED, ids=IDS)
def test_an_expectation_met_leaves_no_timer_pending(
    name: str, history: list[Step], kind: str, rule: str, version: str, due: str, meets: Step, contradicts: Step | None
) -> None:
    engine = engine_with(history)
    expectation_id = _opened(engine, kind)["expectation_id"]
    engine.record("382", meets, strict=False)
    found = council(engine)
    assert (found.expectations[expectation_id]["status"], found.expectations[expectation_id]["closed_on"]) == (
        "met",
        meets["occurred_on"],
    )
    [timer] = [t for t in found.timers.values() if t["subject"] == expectation_id]
    assert (timer["status"], timer["closed_on"]) == ("cancelled", meets["occurred_on"])
    assert_deadlines_follow_expectations(found)
    engine.advance_to(D.fromisoformat(due) + dt.timedelta(days=2))
    assert [d for d in engine.deviations("382") if d["kind"] == kind] == []  # a met expectation is never missed


CONTRADICTED = [row for row in OPENED if row[7] is not None]


@pytest.mark.parametrize(
    ("name", "history", "kind", "rule", "version", "due", "meets", "contradicts"),
    CONTRADICTED,
    ids=[row[0] for row in CONTRADICTED],
)
def test_an_expectation_contradicted_is_one_deviation_and_leaves_no_timer_pending(
    name: str, history: list[Step], kind: str, rule: str, version: str, due: str, meets: Step, contradicts: Step
) -> None:
    engine = engine_with(history)
    expectation_id = _opened(engine, kind)["expectation_id"]
    engine.record("382", contradicts, strict=False)
    found = council(engine)
    assert found.expectations[expectation_id]["status"] == "contradicted"
    [timer] = [t for t in found.timers.values() if t["subject"] == expectation_id]
    assert (timer["status"], timer["closed_on"]) == ("cancelled", contradicts["occurred_on"])
    assert_deadlines_follow_expectations(found)
    engine.advance_to(D.fromisoformat(due) + dt.timedelta(days=2))
    deviations = [d for d in engine.deviations("382") if d["kind"] == kind]
    assert [(d["how"], d["occurred_on"], d["rule_id"], d["policy_version"]) for d in deviations] == [
        ("contradicted", contradicts["occurred_on"], rule, version)  # and not missed as well
    ]
    assert deviations[0]["expected"] == f"{WORDS[name]} by {due}"
    assert deviations[0]["happened"] == HAPPENED[name]


@pytest.mark.parametrize(("name", "history", "kind", "rule", "version", "due", "meets", "contradicts"), OPENED, ids=IDS)
def test_an_expectation_missed_on_the_day_after_its_deadline(
    name: str, history: list[Step], kind: str, rule: str, version: str, due: str, meets: Step, contradicts: Step | None
) -> None:
    engine = engine_with(history)
    deadline = D.fromisoformat(due)
    engine.advance_to(deadline)  # the deadline day is not over: still open
    assert _opened(engine, kind)["due_on"] == due
    engine.advance_to(deadline + dt.timedelta(days=1))
    assert kind not in {e["kind"] for e in engine.state("382").open_expectations}
    [missed] = [d for d in engine.deviations("382") if d["kind"] == kind]
    assert (missed["how"], missed["occurred_on"], missed["rule_id"], missed["policy_version"]) == (
        "missed",
        due,
        rule,
        version,
    )
    assert missed["happened"] == f"nothing of the kind by {due}"
    assert missed["expected"] == f"{WORDS[name]} by {due}"
    assert_deadlines_follow_expectations(council(engine))


def test_dfe03b_a_resistant_council_is_expected_to_get_an_imposed_trust() -> None:
    engine = engine_with([
        inadequate(D(2017, 1, 10), systemic=True),
        fact("statutory_direction_issued", D(2017, 1, 10), commissioner_review=True),
        fact("commissioner_reported", D(2017, 4, 10), recommendation="alternative_delivery",
             council_stance="resistant"),
    ])  # fmt: skip
    assert (
        _opened(engine, "alternative_delivery_decided")["expected"] == "a decision to move services to an imposed trust"
    )


def test_dfe03_failure_both_persistent_and_systemic_says_both() -> None:
    engine = engine_with([inadequate(D(2014, 3, 1)), fact("improvement_notice_issued", D(2014, 4, 1)),
                          inadequate(D(2017, 3, 1), systemic=True)])  # fmt: skip
    assert _opened(engine, "direction_with_commissioner")["expected"] == (
        f"a statutory direction with a commissioner ({PERSISTENT}; {SYSTEMIC})"
    )


def test_a_withdrawn_expectation_leaves_no_timer_pending() -> None:
    # DFE-08: a report no longer inadequate withdraws the DFE-04 expectation of a direction.
    engine = engine_with(next(row[1] for row in OPENED if row[0] == "dfe04-insufficient-progress"))
    expectation_id = _opened(engine, "direction_after_insufficient_progress")["expectation_id"]
    engine.record("382", inspection(D(2021, 4, 1), "requires_improvement"))
    found = council(engine)
    assert (found.expectations[expectation_id]["status"], found.expectations[expectation_id]["closed_on"]) == (
        "withdrawn",
        "2021-04-01",
    )
    assert_deadlines_follow_expectations(found)


steps = st.lists(
    st.tuples(st.integers(0, 300), st.one_of(st.sampled_from(GRADES), st.sampled_from(range(len(SIMPLE))))),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(steps=steps, start=st.sampled_from([D(2012, 1, 1), D(2015, 6, 1), D(2018, 1, 1), D(2022, 1, 1)]))
def test_property_whatever_happens_deadlines_follow_their_expectations(
    steps: list[tuple[int, str | int]], start: dt.date
) -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(start))
    engine.record(None, registration(on=start.isoformat()))
    day = start
    for gap, choice in steps:
        day += dt.timedelta(days=gap + 1)
        engine.advance_to(day)
        try:
            engine.record("382", drawn_fact(day, choice), strict=False)
        except InterventionError:
            continue
        assert_deadlines_follow_expectations(council(engine))
    engine.advance_to(day + dt.timedelta(days=2000))
    found = council(engine)
    assert_deadlines_follow_expectations(found)
    assert all(e["status"] != OPEN or e["due_on"] is None for e in found.expectations.values())
