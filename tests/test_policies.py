"""One test per rule id of RULES.md that the policies implement, table-driven where a rule has cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from intervention_engine import InterventionEngine
from intervention_engine.policies.registry import default_registry, registry_with
from intervention_engine.testing import PolicyScenario, ScenarioMaker
from policy_council import NOT_SYSTEMIC, D, deviations, expectations, inadequate, policy_engine, record, timers

from factories import fact_on, inspection


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()


@pytest.fixture
def kirklees(policy_scenario: ScenarioMaker) -> PolicyScenario:
    """The same council on the test kit (`intervention_engine.testing`): given, when, then."""
    return policy_scenario(start=D(2010, 1, 1), council="382", name="Kirklees")


def inadequate_not_systemic(on: dt.date) -> dict[str, object]:
    return inspection(on, "inadequate", **NOT_SYSTEMIC)


# ------------------------------------------------------------------------------------------------------------------
# DFE-03: which track.


@pytest.mark.parametrize(
    ("earlier", "systemic", "expected_kind", "why"),
    [
        (None, True, "direction_with_commissioner", "systemic"),
        (D(2013, 12, 15), False, "direction_with_commissioner", "persistent"),  # 4 years 11 months earlier
        (D(2013, 10, 15), False, "improvement_notice", "first inadequate"),  # 5 years 1 month earlier
        (None, False, "improvement_notice", "first inadequate"),
    ],
    ids=["systemic", "persistent-4y11m", "not-persistent-5y1m", "first-non-systemic"],
)
def test_dfe03_persistent_or_systemic_failure_expects_a_commissioner(
    engine: InterventionEngine, earlier: dt.date | None, systemic: bool, expected_kind: str, why: str
) -> None:
    if earlier is not None:
        inadequate(engine, earlier)
        record(engine, "improvement_notice_issued", earlier)
        engine.record("382", inspection(earlier + dt.timedelta(days=400), "requires_improvement"))
        record(engine, "improvement_notice_lifted", earlier + dt.timedelta(days=400))
    inadequate(engine, D(2018, 11, 15), systemic=systemic)
    expectation = expectations(engine)[expected_kind]
    assert expectation["rule_id"] == "DFE-03"
    assert expectation["policy_version"] == "dfe-2016-07"
    assert why in expectation["expected"]
    assert expectation["due_on"] == "2019-05-15"


def test_dfe03_a_direction_without_a_commissioner_contradicts_the_notice_expected(engine: InterventionEngine) -> None:
    # Tower Hamlets 2017: first, non-systemic inadequate; a direction with advisers, no commissioner.
    inadequate(engine, D(2017, 4, 7))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=False)
    [deviation] = deviations(engine)
    assert deviation["rule_id"] == "DFE-03"
    assert deviation["how"] == "contradicted"
    assert deviation["expected"].startswith("an improvement notice with an adviser")
    assert deviation["happened"] == "statutory direction issued without a commissioner"
    assert deviation["occurred_on"] == "2017-09-12"


def test_dfe03_a_commissioner_meets_the_expectation(engine: InterventionEngine) -> None:
    inadequate(engine, D(2016, 11, 25), systemic=True)
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    assert "direction_with_commissioner" not in expectations(engine)
    assert deviations(engine) == []


def test_dfe03_from_2022_services_are_presumed_to_leave_council_control(engine: InterventionEngine) -> None:
    inadequate(engine, D(2023, 3, 1), systemic=True)
    assert expectations(engine)["removal_from_council"]["policy_version"] == "dfe-2022"
    record(engine, "statutory_direction_issued", D(2023, 3, 1), commissioner_review=True)
    record(engine, "commissioner_reported", D(2023, 6, 1), recommendation="retain_with_partner")
    [deviation] = deviations(engine)
    assert (deviation["kind"], deviation["how"]) == ("removal_from_council", "contradicted")


def test_dfe03b_a_commissioner_recommending_a_trust_expects_a_decision_within_the_year(
    kirklees: PolicyScenario,
) -> None:
    kirklees.given(inspection(D(2017, 1, 10), "inadequate"), fact_on("statutory_direction_issued", D(2017, 1, 10),
                                                                     commissioner_review=True))  # fmt: skip
    kirklees.when(fact_on("commissioner_reported", D(2017, 4, 10), recommendation="alternative_delivery"))
    kirklees.then(only="DFE-03b", expectations={"alternative_delivery_decided": "2018-04-10"})
    kirklees.travel_to(D(2018, 4, 10))  # the deadline day is not over
    kirklees.then(only="DFE-03b", deviations=[])
    kirklees.travel_to(D(2018, 4, 11))
    kirklees.then(only="DFE-03b", expectations={}, deviations=[{"kind": "alternative_delivery_decided",
                                                                "how": "missed"}])  # fmt: skip


# ------------------------------------------------------------------------------------------------------------------
# DFE-02, DFE-04, DFE-05, DFE-05a.


def test_dfe02_before_2016_a_first_non_systemic_failure_wants_any_intervention_but_some(
    engine: InterventionEngine,
) -> None:
    inadequate(engine, D(2014, 9, 1))  # Manchester 2014: a first inadequate, not systemic
    expectation = expectations(engine)["dfe_intervention"]
    assert (expectation["rule_id"], expectation["policy_version"]) == ("DFE-02", "dfe-2013-11")
    engine.advance_to(D(2015, 3, 2))
    [deviation] = deviations(engine)
    assert deviation["how"] == "missed"
    assert deviation["happened"] == "nothing of the kind by 2015-03-01"


def test_dfe04_the_six_month_rule_and_immediate_takeover_of_persistent_failure(engine: InterventionEngine) -> None:
    inadequate(engine, D(2013, 3, 1))
    record(engine, "improvement_notice_issued", D(2013, 4, 1))
    inadequate(engine, D(2016, 2, 1))  # after 14 Dec 2015, inadequate again within five years
    assert timers(engine, "DFE-04") == {"six_month_progress_check": "2016-08-01"}
    expectation = expectations(engine)["direction_with_commissioner"]
    assert (expectation["rule_id"], expectation["policy_version"]) == ("DFE-04", "dfe-2015-12")


def test_dfe04_a_notice_after_persistent_failure_contradicts_the_published_rule(engine: InterventionEngine) -> None:
    """From December 2015 a published rule (DFE-04) takes persistently failing services over: a notice instead of a
    commissioner contradicts it at once."""
    inadequate(engine, D(2013, 3, 1))
    inadequate(engine, D(2016, 2, 1))  # inadequate again within five years, nothing in place
    assert expectations(engine)["direction_with_commissioner"]["rule_id"] == "DFE-04"
    record(engine, "improvement_notice_issued", D(2016, 3, 1))
    assert "direction_with_commissioner" not in expectations(engine)
    contradicted = [d for d in deviations(engine) if d["how"] == "contradicted"]
    assert [(d["occurred_on"], d["rule_id"], d["policy_version"], d["happened"]) for d in contradicted] == [
        ("2016-03-01", "DFE-04", "dfe-2015-12", "improvement notice issued")
    ]


def test_dfe04_insufficient_progress_under_a_notice_expects_a_direction(engine: InterventionEngine) -> None:
    inadequate(engine, D(2018, 6, 1))
    record(engine, "improvement_notice_issued", D(2018, 7, 1))
    record(engine, "progress_review_completed", D(2021, 3, 1), outcome="insufficient")
    assert expectations(engine)["direction_after_insufficient_progress"]["due_on"] == "2021-06-01"
    record(engine, "statutory_direction_issued", D(2021, 5, 10), commissioner_review=True)  # Bradford, 2021
    assert deviations(engine) == []


def test_dfe05_a_notice_brings_a_plan_and_six_monthly_reviews(engine: InterventionEngine) -> None:
    inadequate(engine, D(2014, 9, 1))
    record(engine, "improvement_notice_issued", D(2014, 10, 1))
    assert timers(engine, "DFE-05") == {"improvement_plan_due": "2014-12-01", "dfe_progress_review": "2015-04-01"}
    assert timers(engine, "DFE-05a") == {}  # not before December 2015
    engine.advance_to(D(2015, 4, 2))
    assert timers(engine, "DFE-05") == {"dfe_progress_review": "2015-10-01"}


def test_dfe05a_diagnostic_within_three_months_and_report_within_six(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 6, 13))
    record(engine, "improvement_notice_issued", D(2017, 8, 8))
    assert timers(engine, "DFE-05a") == {"diagnostic_review_due": "2017-11-08", "adviser_report_due": "2018-02-08"}


# ------------------------------------------------------------------------------------------------------------------
# DFE-06, DFE-07, DFE-08, DFE-09.


def test_dfe06_a_commissioner_reports_three_months_after_appointment(kirklees: PolicyScenario) -> None:
    kirklees.given(inspection(D(2017, 7, 7), "inadequate"))
    kirklees.when(fact_on("statutory_direction_issued", D(2017, 9, 4), commissioner_review=True))
    kirklees.then(stage="commissioner_review", only="DFE-06", timers={"commissioner_report_due": "2017-12-04"})
    kirklees.when(fact_on("commissioner_reported", D(2017, 12, 4), recommendation="retain_with_partner"))
    kirklees.then(only="DFE-06", timers={})
    kirklees.then(only="DFE-09", timers={"commissioner_update_due": "2018-03-04"})  # DFE-09: quarterly updates


def test_dfe07_alternative_delivery_goes_live_in_a_window(engine: InterventionEngine) -> None:
    inadequate(engine, D(2016, 5, 1), systemic=True)
    record(engine, "statutory_direction_issued", D(2016, 5, 1), commissioner_review=True)
    record(engine, "alternative_delivery_decided", D(2016, 10, 6), form="partnership_trust")
    assert timers(engine, "DFE-07") == {
        "alternative_delivery_window_opens": "2017-12-06",
        "alternative_delivery_due": "2018-09-06",
    }
    record(engine, "alternative_delivery_live", D(2018, 4, 1))  # Sandwell Children's Trust
    assert timers(engine, "DFE-07") == {}
    assert engine.state("382").stage == "trust"


def test_dfe08_recovery_lifts_the_notice_and_a_year_of_supervision_ends_by_itself(kirklees: PolicyScenario) -> None:
    kirklees.given(inadequate_not_systemic(D(2017, 6, 13)), fact_on("improvement_notice_issued", D(2017, 8, 8)))
    kirklees.when(inspection(D(2022, 4, 1), "requires_improvement"))
    kirklees.then(only="DFE-08", expectations={"notice_lifted": {"rule_id": "DFE-08"}})
    kirklees.when(fact_on("improvement_notice_lifted", D(2022, 4, 1)))  # Gloucestershire
    kirklees.then(stage="returned", only="DFE-08", timers={"support_and_supervision_ends": "2023-04-01"})
    kirklees.travel_to(D(2023, 4, 1))
    kirklees.then(stage="returned", states={"supervision": "support_and_supervision"})
    kirklees.travel_to(D(2023, 4, 2))
    kirklees.then(stage="requires_improvement", states={"supervision": "none"}, deviations=[])


def test_dfe08_a_direction_outliving_recovery_is_expected_to_be_revoked(engine: InterventionEngine) -> None:
    inadequate(engine, D(2016, 11, 25), systemic=True)
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    engine.record("382", inspection(D(2019, 8, 5), "requires_improvement"))
    assert expectations(engine)["direction_revoked"]["due_on"] == "2024-02-05"  # 54 months
    record(engine, "statutory_direction_revoked", D(2020, 1, 13))  # Kirklees
    assert "direction_revoked" not in expectations(engine)


def test_dfe09_a_direction_without_a_commissioner_has_six_monthly_adviser_reviews(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 4, 7))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=False)
    assert timers(engine, "DFE-09") == {"adviser_review_due": "2018-03-12"}  # Tower Hamlets: first due Feb 2018


# ------------------------------------------------------------------------------------------------------------------
# Ofsted: ILACS-01, ILACS-08, ILACS-12.


def test_ilacs01_the_framework_follows_the_fieldwork_start_not_publication(engine: InterventionEngine) -> None:
    # Bradford: fieldwork January 2026, published May 2026, still graded overall.
    fact = inspection(D(2026, 5, 1), "inadequate", care_leavers="inadequate")
    fact["fieldwork_start"], fact["fieldwork_end"] = "2026-01-19", "2026-01-30"
    engine.record("382", fact)
    versions = {t["policy_version"] for t in engine.state("382").pending_timers if t["rule_id"].startswith("ILACS")}
    assert versions == {"ilacs-2023"}


def test_ilacs08_fewer_than_four_recorded_visits_before_reinspection_is_a_deviation(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 7, 7), systemic=True)
    record(engine, "statutory_direction_issued", D(2017, 7, 7), commissioner_review=True)
    record(engine, "monitoring_visit_published", D(2017, 11, 20))
    record(engine, "monitoring_visit_published", D(2018, 3, 1))
    engine.record("382", inspection(D(2019, 7, 1), "good"))
    [found] = [d for d in deviations(engine) if d["rule_id"] == "ILACS-08"]
    assert (found["kind"], found["how"], found["occurred_on"]) == (
        "monitoring_before_reinspection",
        "found",
        "2019-07-01",
    )
    assert found["happened"] == "re-inspected after 2 recorded monitoring visits"


@pytest.mark.parametrize(("visits", "number"), [(0, None), (1, 6)], ids=["none-recorded", "sixth-visit-named"])
def test_ilacs08_no_deviation_without_evidence_of_too_few_visits(
    engine: InterventionEngine, visits: int, number: int | None
) -> None:
    inadequate(engine, D(2017, 4, 7))
    for i in range(visits):
        record(engine, "monitoring_visit_published", D(2019, 4, 11) + dt.timedelta(days=i), visit_number=number)
    engine.record("382", inspection(D(2019, 7, 22), "good"))
    assert [d for d in deviations(engine) if d["rule_id"] == "ILACS-08"] == []


def test_ilacs12_after_april_2026_leaders_inadequate_counts_as_inadequate(engine: InterventionEngine) -> None:
    # Trafford, August 2026: leaders and help and protection inadequate, children in care good, no overall grade.
    fact = inspection(D(2026, 8, 20), None, leadership="inadequate", help_and_protection="inadequate",
                      children_in_care="good")  # fmt: skip
    engine.record("382", fact)
    assert engine.state("382").states["judgement"] == "ungraded"
    pending = {t["kind"]: t["policy_version"] for t in engine.state("382").pending_timers}
    assert pending["monitoring_visit_due"] == "ilacs-2026"  # ILACS-08 timers from the ILACS-12 assumption
    assert expectations(engine)["improvement_notice"]["policy_version"] == "dfe-2026-04"


# ------------------------------------------------------------------------------------------------------------------
# DFE-10: the regime in force on the fact's date decides.


@pytest.mark.parametrize(
    ("day", "version"),
    [
        (D(1999, 12, 31), None),
        (D(2012, 12, 31), "dfe-2013"),
        (D(2013, 10, 31), "dfe-2013"),
        (D(2013, 11, 1), "dfe-2013-11"),
        (D(2015, 12, 13), "dfe-2013-11"),
        (D(2015, 12, 14), "dfe-2015-12"),
        (D(2016, 7, 3), "dfe-2015-12"),
        (D(2016, 7, 4), "dfe-2016-07"),
        (D(2022, 5, 25), "dfe-2022"),
        (D(2026, 4, 1), "dfe-2026-04"),
    ],
)
def test_dfe10_the_regime_in_force_on_the_date_applies(day: dt.date, version: str | None) -> None:
    dfe = [p.version for p in default_registry().in_force(day) if p.version.startswith("dfe")]
    assert dfe == ([version] if version else [])


def test_a_counterfactual_registry_applies_one_regime_to_every_date() -> None:
    versions = [p.version for p in registry_with("dfe-2016-07").in_force(D(2014, 1, 1))]
    assert versions == ["ofsted-inspection-cycle", "dfe-2016-07"]
    known = "dfe-2013, dfe-2013-11, dfe-2015-12, dfe-2016-07, dfe-2022, dfe-2026-04"  # the error names each choice
    with pytest.raises(ValueError, match=f"^unknown DfE policy 'dfe-1999'; known: {known}$"):
        registry_with("dfe-1999")


def test_dfe07_a_voluntary_trust_without_any_intervention_is_a_deviation(engine: InterventionEngine) -> None:
    engine.record("382", inspection(D(2013, 11, 1), "requires_improvement"))
    record(engine, "alternative_delivery_decided", D(2014, 4, 1), form="council_company")  # Achieving for Children
    [deviation] = deviations(engine)
    assert (deviation["rule_id"], deviation["how"], deviation["kind"]) == (
        "DFE-07",
        "found",
        "voluntary_alternative_delivery",
    )


def test_dfe07_a_trust_imposed_by_the_minister_is_not_a_deviation(engine: InterventionEngine) -> None:
    inadequate(engine, D(2014, 2, 14), systemic=True)
    record(engine, "alternative_delivery_decided", D(2014, 7, 15), form="imposed_trust")  # Slough 2014
    assert deviations(engine) == []


def test_dfe08_lifting_a_notice_cancels_every_timer_of_the_notice(engine: InterventionEngine) -> None:
    # Gloucestershire: notice after the June 2017 report (2015-12 rules: diagnostic and adviser report, DFE-05a),
    # lifted with the RI report of April 2022 before any of the notice's timers fell due.
    inadequate(engine, D(2017, 6, 13))
    record(engine, "improvement_notice_issued", D(2017, 8, 8))
    engine.record("382", inspection(D(2017, 9, 1), "requires_improvement"))
    record(engine, "improvement_notice_lifted", D(2017, 9, 1))
    pending = {t["kind"]: t["due_on"] for t in engine.state("382").pending_timers if t["rule_id"].startswith("DFE")}
    assert pending == {"support_and_supervision_ends": "2018-09-01"}
