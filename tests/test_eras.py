"""Every era boundary, the day before and the first day: DfE regimes (DFE-10), inspection frameworks (ILACS-01) and
the COVID pause of monitoring (ILACS-08). Each era is checked by its result on a council (expectations, timers and
the policy versions they carry), not only by which policy a registry names. Dates are written out from RULES.md and
the regimes' sources, never read from the policy modules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from intervention_engine import InterventionEngine, InvalidFact
from intervention_engine.facts import Framework, framework_on
from intervention_engine.policies.inspection_cycle import InspectionCyclePolicy
from intervention_engine.policies.registry import default_registry

from factories import KEY_INADEQUATE

D = dt.date


@pytest.fixture
def engine(kirklees: InterventionEngine) -> InterventionEngine:
    return kirklees  # Kirklees registered on 1 January 1999 (conftest)


def report(published: dt.date, fieldwork_start: dt.date, overall: str | None, **judgements: str) -> dict[str, Any]:
    """A report whose fieldwork began on `fieldwork_start` and ended two weeks later."""
    grades: dict[str, str] = {**KEY_INADEQUATE, **judgements}
    if overall is not None:
        grades["overall"] = overall
    return {
        "type": "inspection_published",
        "occurred_on": published.isoformat(),
        "fieldwork_start": fieldwork_start.isoformat(),
        "fieldwork_end": (fieldwork_start + dt.timedelta(days=14)).isoformat(),
        "judgements": grades,
    }


# ------------------------------------------------------------------------------------------------------------------
# DFE-10: the DfE regime in force on the day of the report.

DFE_ERAS = [
    (D(1999, 12, 31), None),
    (D(2000, 1, 1), "dfe-2013"),  # the earliest regime covers the notices of the 2000s
    (D(2013, 10, 31), "dfe-2013"),
    (D(2013, 11, 1), "dfe-2013-11"),  # DFE-03 validation: the record's commissioners from the start of SIF
    (D(2015, 12, 13), "dfe-2013-11"),
    (D(2015, 12, 14), "dfe-2015-12"),  # DFE-04: the Prime Minister's statement
    (D(2016, 7, 3), "dfe-2015-12"),
    (D(2016, 7, 4), "dfe-2016-07"),  # DFE-03: Putting children first
    (D(2022, 5, 24), "dfe-2016-07"),
    (D(2022, 5, 25), "dfe-2022"),  # DFE-03: the 2022 presumption (Sefton direction)
    (D(2026, 3, 31), "dfe-2022"),
    (D(2026, 4, 1), "dfe-2026-04"),  # ILACS-12: no overall grade
]


@pytest.mark.parametrize(("day", "version"), DFE_ERAS, ids=[str(day) for day, _ in DFE_ERAS])
def test_dfe10_the_registry_names_the_regime_of_the_day(day: dt.date, version: str | None) -> None:
    dfe = [p.version for p in default_registry().in_force(day) if p.version.startswith("dfe")]
    assert dfe == ([version] if version else [])


@pytest.mark.parametrize(
    ("day", "versions"),
    [(D(1999, 12, 31), ["ofsted-inspection-cycle"]), (D(2000, 1, 1), ["ofsted-inspection-cycle", "dfe-2013"])],
)
def test_before_the_first_dfe_regime_the_inspection_cycle_alone_is_in_force(day: dt.date, versions: list[str]) -> None:
    assert [p.version for p in default_registry().in_force(day)] == versions


# A first, systemic inadequate judgement published on each boundary day: what the DfE is expected to do, by when,
# under which rule and version; and whether the six-month check of DFE-04 runs. From November 2013 systemic
# failure expects a commissioner (DFE-03 validation: Birmingham, Rotherham 2014; Sunderland 2015), before any
# published rule said so (July 2016). Reports published on 31 Oct and 1 Nov 2013 had their fieldwork in August,
# before SIF: only the overall grade counts then, so systemic failure cannot be shown and DFE-02 applies on both days.
SYSTEMIC_FIRST_FAILURE = [
    (D(1999, 12, 31), {}, None),
    (D(2000, 1, 1), {"dfe_intervention": ("DFE-02", "dfe-2013", "2000-07-01")}, None),
    (D(2013, 10, 31), {"dfe_intervention": ("DFE-02", "dfe-2013", "2014-04-30")}, None),
    (D(2013, 11, 1), {"dfe_intervention": ("DFE-02", "dfe-2013-11", "2014-05-01")}, None),
    (D(2015, 12, 13), {"direction_with_commissioner": ("DFE-03", "dfe-2013-11", "2016-06-13")}, None),
    (D(2015, 12, 14), {"direction_with_commissioner": ("DFE-03", "dfe-2015-12", "2016-06-14")}, "2016-06-14"),
    (D(2016, 7, 3), {"direction_with_commissioner": ("DFE-03", "dfe-2015-12", "2017-01-03")}, "2017-01-03"),
    (D(2016, 7, 4), {"direction_with_commissioner": ("DFE-03", "dfe-2016-07", "2017-01-04")}, "2017-01-04"),
    (D(2022, 5, 24), {"direction_with_commissioner": ("DFE-03", "dfe-2016-07", "2022-11-24")}, "2022-11-24"),
    (
        D(2022, 5, 25),
        {
            "direction_with_commissioner": ("DFE-03", "dfe-2022", "2022-11-25"),
            "removal_from_council": ("DFE-03", "dfe-2022", "2023-11-25"),  # 18 months (low confidence)
        },
        "2022-11-25",
    ),
    (
        D(2026, 3, 31),
        {
            "direction_with_commissioner": ("DFE-03", "dfe-2022", "2026-09-30"),  # 31 March + 6 months, clamped
            "removal_from_council": ("DFE-03", "dfe-2022", "2027-09-30"),
        },
        "2026-09-30",
    ),
    (
        D(2026, 4, 1),
        {
            "direction_with_commissioner": ("DFE-03", "dfe-2026-04", "2026-10-01"),
            "removal_from_council": ("DFE-03", "dfe-2026-04", "2027-10-01"),
        },
        "2026-10-01",
    ),
]


@pytest.mark.parametrize(
    ("published", "expected", "six_month_check"),
    SYSTEMIC_FIRST_FAILURE,
    ids=[str(day) for day, _, _ in SYSTEMIC_FIRST_FAILURE],
)
def test_dfe10_a_report_on_each_boundary_day_is_judged_by_that_days_regime(
    engine: InterventionEngine, published: dt.date, expected: dict[str, tuple[str, str, str]], six_month_check: str
) -> None:
    # Fieldwork ten weeks before publication (before April 2026 in every case, so the overall grade is kept).
    engine.record("382", report(published, published - dt.timedelta(days=70), "inadequate"))
    status = engine.state("382")
    found = {e["kind"]: (e["rule_id"], e["policy_version"], e["due_on"]) for e in status.open_expectations}
    assert found == expected
    checks = [t["due_on"] for t in status.pending_timers if t["kind"] == "six_month_progress_check"]
    assert checks == ([six_month_check] if six_month_check else [])


# Persistent failure (DFE-03: inadequate again within five years, pre-SIF judgements counted) on the day before and
# the first day of dfe-2013-11: a notice or a direction will do before November 2013, a commissioner from then on.
PERSISTENT_FAILURE = [
    (D(2013, 10, 31), ("dfe_intervention", "DFE-02", "dfe-2013", "2014-04-30")),
    (D(2013, 11, 1), ("direction_with_commissioner", "DFE-03", "dfe-2013-11", "2014-05-01")),
]


@pytest.mark.parametrize(("published", "expected"), PERSISTENT_FAILURE, ids=[str(d) for d, _ in PERSISTENT_FAILURE])
def test_dfe03_persistent_failure_expects_a_commissioner_from_november_2013(
    engine: InterventionEngine, published: dt.date, expected: tuple[str, str, str, str]
) -> None:
    engine.record("382", report(D(2010, 6, 1), D(2010, 3, 1), "inadequate"))
    engine.record("382", {"type": "improvement_notice_issued", "occurred_on": "2010-07-01"})
    engine.record("382", report(D(2011, 6, 1), D(2011, 3, 1), "good", **dict.fromkeys(KEY_INADEQUATE, "good")))
    engine.record("382", {"type": "improvement_notice_lifted", "occurred_on": "2011-08-01"})
    engine.record("382", report(published, published - dt.timedelta(days=70), "inadequate"))
    status = engine.state("382")
    found = [(e["kind"], e["rule_id"], e["policy_version"], e["due_on"]) for e in status.open_expectations]
    assert found == [expected]


# Before July 2016 only the record (not a published rule) expected the commissioner, so a notice in answer to systemic
# failure contradicts nothing (a commissioner may still follow: Rotherham, Sandwell); from 4 July 2016 it is a
# deviation at once (DFE-03).
@pytest.mark.parametrize(("published", "deviates"), [(D(2016, 7, 3), False), (D(2016, 7, 4), True)], ids=str)
def test_dfe03_a_notice_after_systemic_failure_deviates_only_under_the_published_rule(
    engine: InterventionEngine, published: dt.date, deviates: bool
) -> None:
    engine.record("382", report(published, published - dt.timedelta(days=70), "inadequate"))
    notice_day = (published + dt.timedelta(days=7)).isoformat()
    engine.record("382", {"type": "improvement_notice_issued", "occurred_on": notice_day})
    status = engine.state("382")
    kinds = [(d["kind"], d["how"], d["occurred_on"]) for d in status.deviations]
    assert kinds == ([("direction_with_commissioner", "contradicted", notice_day)] if deviates else [])
    still_open = [e["kind"] for e in status.open_expectations]
    assert still_open == ([] if deviates else ["direction_with_commissioner"])


# ------------------------------------------------------------------------------------------------------------------
# ILACS-01: the inspection framework of the fieldwork start.

FRAMEWORK_ERAS = [
    (D(2013, 10, 31), Framework.pre_sif),
    (D(2013, 11, 1), Framework.sif),
    (D(2017, 12, 31), Framework.sif),
    (D(2018, 1, 1), Framework.ilacs_2018),
    (D(2022, 12, 31), Framework.ilacs_2018),
    (D(2023, 1, 1), Framework.ilacs_2023),
    (D(2026, 3, 31), Framework.ilacs_2023),
    (D(2026, 4, 1), Framework.ilacs_2026),
]


@pytest.mark.parametrize(("fieldwork", "framework"), FRAMEWORK_ERAS, ids=[str(day) for day, _ in FRAMEWORK_ERAS])
def test_ilacs01_the_framework_is_the_one_in_force_when_fieldwork_began(
    fieldwork: dt.date, framework: Framework
) -> None:
    assert framework_on(fieldwork) is framework


# The version every inspection-side timer records, for a requires-improvement report whose fieldwork began on each
# boundary day (pre-SIF reports start no timers).
TIMER_VERSIONS = [
    (D(2013, 10, 31), None),
    (D(2013, 11, 1), "sif-2013"),
    (D(2017, 12, 31), "sif-2013"),
    (D(2018, 1, 1), "ilacs-2018"),
    (D(2022, 12, 31), "ilacs-2018"),
    (D(2023, 1, 1), "ilacs-2023"),
    (D(2026, 3, 31), "ilacs-2023"),
    (D(2026, 4, 1), "ilacs-2026"),
]


@pytest.mark.parametrize(("fieldwork", "version"), TIMER_VERSIONS, ids=[str(day) for day, _ in TIMER_VERSIONS])
def test_ilacs01_inspection_timers_carry_the_framework_of_the_fieldwork_start(
    engine: InterventionEngine, fieldwork: dt.date, version: str | None
) -> None:
    ungraded = fieldwork >= D(2026, 4, 1)
    ri = dict.fromkeys(KEY_INADEQUATE, "requires_improvement")
    engine.record("382", report(fieldwork + dt.timedelta(days=60), fieldwork, None if ungraded else "good", **ri))
    status = engine.state("382")
    versions = {t["policy_version"] for t in status.pending_timers if t["rule_id"].startswith("ILACS")}
    assert versions == ({version} if version else set())
    assert status.latest_inspection is not None
    assert status.latest_inspection["framework"] == framework_on(fieldwork).value


def test_ilacs01_sif_reinspections_are_accepted_up_to_the_end_of_2018_and_not_after(engine: InterventionEngine) -> None:
    # Darlington and Surrey: SIF re-inspections with fieldwork in February 2018 (ILACS-09).
    ri = dict.fromkeys(KEY_INADEQUATE, "requires_improvement")
    last = {**report(D(2019, 2, 20), D(2018, 12, 31), "requires_improvement", **ri), "framework": "sif"}
    engine.record("382", last)
    latest = engine.state("382").latest_inspection
    assert latest is not None
    assert latest["framework"] == "sif"
    late = {**report(D(2019, 3, 20), D(2019, 1, 1), "requires_improvement", **ri), "framework": "sif"}
    with pytest.raises(InvalidFact, match="framework sif does not match fieldwork starting 2019-01-01"):
        engine.record("382", late)


# ------------------------------------------------------------------------------------------------------------------
# ILACS-08: no monitoring visit falls due while monitoring was paused (17 March 2020 to 30 April 2021).

PAUSE = [
    (D(2020, 3, 16), D(2020, 3, 16)),
    (D(2020, 3, 17), D(2021, 5, 1)),
    (D(2021, 4, 30), D(2021, 5, 1)),
    (D(2021, 5, 1), D(2021, 5, 1)),
]


@pytest.mark.parametrize(("due", "moved_to"), PAUSE, ids=[str(day) for day, _ in PAUSE])
def test_ilacs08_a_visit_due_during_the_covid_pause_moves_to_its_end(due: dt.date, moved_to: dt.date) -> None:
    assert InspectionCyclePolicy()._unpaused(due) == moved_to


@pytest.mark.parametrize(
    ("visited", "next_due"),
    [(D(2019, 12, 16), "2020-03-16"), (D(2019, 12, 17), "2021-05-01")],
    ids=["due-the-day-before-the-pause", "due-on-its-first-day"],
)
def test_ilacs08_the_visit_after_one_in_december_2019_is_due_before_or_after_the_pause(
    engine: InterventionEngine, visited: dt.date, next_due: str
) -> None:
    engine.record("382", report(D(2019, 6, 1), D(2019, 3, 1), "inadequate"))
    engine.record("382", {"type": "monitoring_visit_published", "occurred_on": visited.isoformat()})
    due = [t["due_on"] for t in engine.state("382").pending_timers if t["kind"] == "monitoring_visit_due"]
    assert due == [next_due]
