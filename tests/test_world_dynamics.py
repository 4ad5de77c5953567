"""The world model's dynamics of issue 12, each on and off, played on the full engine and the compact kernel alike
(`played_with_tally` asserts the two agree) with the facts each must produce written out by hand.

Kirklees (382), good in 2013; the DfE acts 10 days after each expectation opens; only the dynamic under test is on.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from intervention_engine.calendar import OFSTED_PAUSE
from intervention_engine.simulation.calibration import Calibration
from intervention_engine.simulation.kernel import Lane
from intervention_engine.simulation.montecarlo import sample_dates
from intervention_engine.simulation.outcomes import (
    CalibratedOutcomes,
    LastInspection,
    ScriptedInspection,
    ScriptedOutcomes,
)
from intervention_engine.simulation.start import start_of
from intervention_engine.simulation.tables import LaneStart
from intervention_engine.simulation.tally import READOUTS, RunTally
from intervention_engine.simulation.world import (
    DfEResponses,
    WorldModel,
    WorldSwitches,
    council_rng,
    monitoring_visits,
)
from test_kernel_agreement import EMPTY, UNTIL, decided, engine_with, played_with_tally, tables_for

from factories import inspection

D = dt.date
GOOD_IN_2013 = [inspection(D(2013, 6, 1), "good")]
INADEQUATE_2018 = [ScriptedInspection(D(2018, 3, 1), "inadequate")]  # first failure, not systemic: a notice (DFE-03)


def world(
    script: Sequence[ScriptedInspection], *, p_insufficient: float = 0.0, returns_per_year: float | None = None,
    **switched_on: bool,
) -> WorldModel:  # fmt: skip
    switches = WorldSwitches(**{**WorldSwitches.none().to_dict(), **switched_on})
    dfe = DfEResponses(EMPTY, 10, 0.0, p_insufficient, returns_per_year)
    return WorldModel(ScriptedOutcomes({"382": script}), dfe, switches=switches)


def facts_of(script: Sequence[ScriptedInspection], **options: float | bool) -> list[tuple[str, str]]:
    facts, _, _, _ = played_with_tally(GOOD_IN_2013, D(2018, 1, 1), world(script, **options))  # type: ignore[arg-type]
    return facts


# ------------------------------------------------------------------------------------------------------------------
# DFE-05 / DFE-04: progress reviews under a notice, and the six-month check.


def test_under_a_notice_the_dfe_reviews_progress_every_six_months() -> None:
    facts = facts_of(INADEQUATE_2018, progress_reviews=True)
    assert facts[:4] == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),
        ("2018-09-11", "progress_review_completed"),  # six months after the notice
        ("2019-03-11", "progress_review_completed"),  # and every six months while it is open
    ]
    # From September 2018 to September 2027 inclusive: 19 reviews, nothing else.
    assert len(facts) == 2 + 19
    assert facts[-1] == ("2027-09-11", "progress_review_completed")


def test_insufficient_progress_at_a_review_leads_to_a_direction_with_a_commissioner() -> None:
    assert facts_of(INADEQUATE_2018, progress_reviews=True, p_insufficient=1.0) == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),
        ("2018-09-11", "progress_review_completed"),  # insufficient
        ("2018-09-21", "statutory_direction_issued"),  # DFE-04: the direction after insufficient progress
        ("2018-12-21", "commissioner_reported"),  # DFE-06: three months on; the notice's reviews ended with it
    ]


def test_the_six_month_check_of_december_2015_acts() -> None:
    assert facts_of(INADEQUATE_2018, six_month_check=True, p_insufficient=1.0) == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),
        ("2018-09-01", "progress_review_completed"),  # six months after the inadequate report, not the notice
        ("2018-09-11", "statutory_direction_issued"),
        ("2018-12-11", "commissioner_reported"),
    ]


def test_with_reviews_and_the_check_off_the_notice_runs_without_a_review() -> None:
    assert facts_of(INADEQUATE_2018, p_insufficient=1.0) == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),
    ]


# ------------------------------------------------------------------------------------------------------------------
# ILACS-08 monitoring visits, ILACS-05 focused visits.

INADEQUATE_THEN_RI = [*INADEQUATE_2018, ScriptedInspection(D(2019, 12, 1), "requires_improvement")]


def test_monitoring_visits_are_quarterly_while_inadequate_and_a_focused_visit_follows_recovery() -> None:
    facts = facts_of(INADEQUATE_THEN_RI, monitoring_visits=True, focused_visits=True)
    assert facts == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),
        # 90 working days after 1 March 2018 (Good Friday, Easter Monday and two May bank holidays skipped)
        ("2018-07-11", "monitoring_visit_published"),
        ("2018-10-11", "monitoring_visit_published"),
        ("2019-01-11", "monitoring_visit_published"),
        ("2019-04-11", "monitoring_visit_published"),
        ("2019-07-11", "monitoring_visit_published"),  # the last before the re-inspection's fieldwork (9 Oct)
        ("2019-12-01", "inspection_published"),
        ("2019-12-11", "improvement_notice_lifted"),
        # with no later inspection scripted, halfway through the six years looked ahead: 1,095 days on
        ("2022-11-30", "focused_visit_published"),
    ]


def test_with_visits_off_no_visit_is_recorded() -> None:
    facts = facts_of(INADEQUATE_THEN_RI)
    assert [kind for _, kind in facts if kind.endswith("visit_published")] == []


def test_a_monitoring_visit_due_in_the_pause_falls_due_when_it_ends() -> None:
    # Inadequate, published Monday 2 December 2019: 90 working days on (Christmas, Boxing Day and New Year's Day
    # skipped) is Thursday 9 April 2020, inside the monitoring pause (ILACS-08): due on 1 May 2021, then quarterly.
    published = D(2019, 12, 2).toordinal()
    visits = [D.fromordinal(day) for day in monitoring_visits(published, published, D(2022, 1, 1).toordinal())]
    assert visits == [D(2021, 5, 1), D(2021, 8, 1), D(2021, 11, 1)]


# ------------------------------------------------------------------------------------------------------------------
# DFE-07: services return to the council.


def test_services_return_once_the_council_is_no_longer_judged_inadequate() -> None:
    # A rate so high that the drawn duration is 0 days: due on go-live, looked at again a year on while inadequate.
    script = [ScriptedInspection(D(2019, 6, 1), "requires_improvement")]
    chosen = world(script, returns_per_year=365.25 * 1000, services_return=True)
    facts, stages, _, _ = played_with_tally(decided("partnership_trust"), D(2017, 1, 1), chosen)
    assert facts == [
        ("2017-01-01", "alternative_delivery_live"),
        ("2019-06-01", "inspection_published"),
        ("2019-06-11", "statutory_direction_revoked"),
        ("2020-01-01", "alternative_delivery_ended"),  # 2018 and 2019: still inadequate; 2020: back
    ]
    assert stages[-1] == "requires_improvement"


def test_with_returns_off_the_trust_stays() -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "requires_improvement")]
    chosen = world(script, returns_per_year=365.25 * 1000)
    facts, stages, _, _ = played_with_tally(decided("partnership_trust"), D(2017, 1, 1), chosen)
    assert "alternative_delivery_ended" not in {kind for _, kind in facts}
    assert stages[-1] == "trust"


# ------------------------------------------------------------------------------------------------------------------
# ILACS-04: the 2020-21 pause as a calendar; ILACS-12: what replaces the overall grade.


def test_the_pause_is_skipped_when_counting_active_days() -> None:
    pause = OFSTED_PAUSE  # graded inspections paused from 17 March 2020 to 28 June 2021 (468 days)
    before, inside, after = D(2020, 3, 1).toordinal(), D(2020, 6, 1).toordinal(), D(2021, 7, 1).toordinal()
    assert pause.active_days(before, after) == 16 + 3  # 1-16 March 2020, 28-30 June 2021
    assert pause.active_days(inside, after) == 3  # 28, 29 and 30 June 2021
    assert D.fromordinal(pause.add_active_days(before, 15)) == D(2020, 3, 16)  # the day before the pause
    assert D.fromordinal(pause.add_active_days(before, 16)) == D(2021, 6, 28)  # the pause skipped
    assert D.fromordinal(pause.add_active_days(inside, 0)) == D(2021, 6, 28)


ONE_YEAR = Calibration(
    transitions={"ilacs": {"good": {"good": 1}}}, first_grades={"ilacs": {"good": 1}},
    intervals={}, intervals_by_era={}, publication_lag={}, dfe_lags={}, dfe_examples={},
    samples={"interval:ilacs:good": [365], "active_interval:ilacs:good": [365], "fieldwork:ilacs": [14],
             "publication_lag:ilacs": [40]},
)  # fmt: skip


def test_an_interval_across_the_pause_is_stretched_by_it_and_not_without_it() -> None:
    last = LastInspection(D(2019, 6, 1).toordinal(), "ilacs", "good")
    paused = CalibratedOutcomes(ONE_YEAR, pause=OFSTED_PAUSE).next_inspection(random.Random(1), "382", last, 0)
    plain = CalibratedOutcomes(ONE_YEAR).next_inspection(random.Random(1), "382", last, 0)
    assert D.fromordinal(plain.fieldwork_start) == D(2020, 5, 31)  # 365 days: inside the pause
    # 290 active days to 17 March 2020, then the remaining 75 from 28 June 2021.
    assert D.fromordinal(paused.fieldwork_start) == D(2021, 9, 11)


def test_after_april_2026_the_projection_reads_the_worst_key_judgement_unless_switched_off() -> None:
    script = [ScriptedInspection(D(2026, 6, 1), "good")]
    on = world(script, framework_2026=True)
    _, stages, tally, _ = played_with_tally(GOOD_IN_2013, D(2026, 1, 1), on)
    assert stages[-1] == "ungraded"  # ILACS-01: no overall grade
    end = tally.readout_counts()[-1]
    assert end[READOUTS.index("ungraded_worst_good")] == 1
    assert sum(end) == 1  # not inadequate, no instrument: nothing else
    _, stages, tally, _ = played_with_tally(GOOD_IN_2013, D(2026, 1, 1), world(script))
    assert stages[-1] == "ungraded"  # the facts are the same: ILACS-01 refuses an overall grade
    assert tally.readout_counts()[-1] == [0] * len(READOUTS)  # but nothing says how it was judged


def test_the_monte_carlo_counts_the_visits_a_logged_run_plays_one_by_one() -> None:
    # Without a log the kernel counts quiet visits at once; with one it plays each: the same five monitoring visits
    # and one focused visit (the case above), the same stages.
    chosen = world(INADEQUATE_THEN_RI, monitoring_visits=True, focused_visits=True)
    start = D(2018, 1, 1)
    begin = start_of(engine_with(GOOD_IN_2013, start, None).council_as_of("382", start), start)
    tables = tables_for(None)
    samples = [day.toordinal() for day in sample_dates(start, 10)]
    counted = []
    for log in (None, []):
        tally = RunTally(samples, start.year, 10)
        Lane(LaneStart.of(begin, tables), tables, chosen, council_rng(5, 0), tally, log).run(UNTIL.toordinal())
        counted.append((tally.events[:2], tally.stage_counts(), tally.readout_counts()))
    assert counted[0][0] == [5, 1]
    assert counted[0] == counted[1]
