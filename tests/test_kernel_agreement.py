"""The compact kernel plays the same facts and stages as the full engine in the cases the national sample never
draws: every form of alternative delivery going live (a partner council among them, DFE-07), and DfE lags longer
than every window, so that each response falls exactly on its expectation's deadline day (DFE-02..08).

Each case also states, by hand, the facts it must produce, so that the two sides cannot agree on nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.facts import Fact, fact_to_data
from intervention_engine.policies.rulebook import STAGES
from intervention_engine.simulation.calibration import Calibration
from intervention_engine.simulation.compare import timeline
from intervention_engine.simulation.forward import play_forward
from intervention_engine.simulation.kernel import Lane
from intervention_engine.simulation.montecarlo import registry_for, sample_dates
from intervention_engine.simulation.outcomes import (
    CalibratedOutcomes,
    ScriptedInspection,
    ScriptedOutcomes,
    inspection_fact,
)
from intervention_engine.simulation.start import start_of
from intervention_engine.simulation.tables import KernelTables, LaneStart
from intervention_engine.simulation.tally import RunTally
from intervention_engine.simulation.world import DfEResponses, WorldModel, WorldSwitches, action_fact, council_rng

from factories import inspection, registration

D = dt.date
UNTIL = D(2027, 12, 31)
NEVER_EARLY = 100_000  # days: longer than every window, so the DfE acts on each deadline day
EMPTY = Calibration({}, {}, {}, {}, {}, {}, {})
_TABLES: dict[str | None, KernelTables] = {}
NONE = WorldSwitches.none()


def tables_for(policy: str | None) -> KernelTables:
    if policy not in _TABLES:
        _TABLES[policy] = KernelTables(registry_for(policy), D(2016, 1, 1), UNTIL)
    return _TABLES[policy]


def world(
    script: Sequence[ScriptedInspection], lags: int, p_alternative_delivery: float, switches: WorldSwitches = NONE
) -> WorldModel:
    """The world of these cases: the dynamics of issue 12 off unless a case switches them on."""
    return WorldModel(
        ScriptedOutcomes({"382": script}), DfEResponses(EMPTY, lags, p_alternative_delivery), switches=switches
    )


def engine_with(history: Sequence[dict[str, Any]], start: dt.date, policy: str | None) -> InterventionEngine:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2010, 1, 1)), policies=registry_for(policy))
    engine.record(None, registration(on="2010-01-01"))
    for fact in history:
        engine.record("382", fact)
    engine.advance_to(start)
    return engine


def both_sides(
    history: Sequence[dict[str, Any]], start: dt.date, chosen: WorldModel, policy: str | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    facts, stages, _, _ = played_with_tally(history, start, chosen, policy)
    return facts, stages


def played_with_tally(
    history: Sequence[dict[str, Any]], start: dt.date, chosen: WorldModel, policy: str | None = None
) -> tuple[list[tuple[str, str]], list[str], RunTally, list[str]]:
    """Play the council forward on the full engine and on the kernel; assert they agree; return the engine's facts
    (day, description), its stages on the first of every month, the kernel's tally and the days the year of support
    and supervision ended (DFE-08)."""
    engine = engine_with(history, start, policy)
    begin = start_of(engine.council_as_of("382", start), start)
    played = play_forward(engine, begin, UNTIL, chosen, council_rng(5, 0))
    dates = [day for day in sample_dates(start, 12) if day <= UNTIL]

    tables = tables_for(policy)
    tally, log = RunTally([day.toordinal() for day in dates], start.year, 12), []
    lane = Lane(LaneStart.of(begin, tables), tables, chosen, council_rng(5, 0), tally, log)
    lane.run(UNTIL.toordinal())
    kernel: list[Fact] = [
        inspection_fact(extra) if action == -1 else action_fact(action, day, because=extra)
        for day, action, extra in log
        if extra != "support_and_supervision_ends"
    ]
    kernel_stages = [STAGES[row.index(1)] for row in tally.stage_counts()]

    assert [fact_to_data(f) for f in kernel] == [fact_to_data(f) for f in played]
    # DFE-08: the year of support and supervision ends on the same days (the engine records it when its timer fires).
    engine_ends = [
        entry.occurred_on
        for entry in engine.timeline("382")
        if entry.event == "FactRecorded"
        and entry.data["fact"]["type"] == "support_and_supervision_ended"
        and start.isoformat() <= entry.occurred_on <= UNTIL.isoformat()
    ]
    kernel_ends = [
        dt.date.fromordinal(day).isoformat() for day, _, extra in log if extra == "support_and_supervision_ends"
    ]
    assert kernel_ends == engine_ends
    engine_stages = timeline(("engine", engine), "382", start, UNTIL, dates).stages
    assert kernel_stages == engine_stages
    # The expectations still open at the end, on both sides (the kernel forgets missed ones only as days pass).
    council = engine.council_as_of("382", UNTIL + dt.timedelta(days=1))
    engine_open = sorted(
        (e["seq"], e["kind"], D.fromisoformat(e["due_on"]).toordinal() if e["due_on"] else None)
        for e in council.expectations.values()
        if e["status"] == "open"
    )
    kernel_open = sorted((e[0], e[1], e[2]) for e in lane.exps if e[2] is None or e[2] > UNTIL.toordinal())
    assert kernel_open == engine_open
    return [(f.occurred_on.isoformat(), f.describe()) for f in played], engine_stages, tally, engine_ends


# ------------------------------------------------------------------------------------------------------------------
# DFE-07: every form of alternative delivery, decided before the start and going live during the run.


def decided(form: str) -> list[dict[str, Any]]:
    return [
        inspection(D(2016, 5, 1), "inadequate"),
        {"type": "statutory_direction_issued", "occurred_on": "2016-05-01", "commissioner_review": True},
        {"type": "commissioner_reported", "occurred_on": "2016-08-01", "recommendation": "alternative_delivery"},
        {"type": "alternative_delivery_decided", "occurred_on": "2016-10-06", "form": form},
    ]


FORMS = [
    ("partnership_trust", "trust"),
    ("imposed_trust", "trust"),
    ("council_company", "trust"),
    ("partner_council", "partner_council"),  # Kirklees-Leeds 2017
]


@pytest.mark.parametrize(("form", "stage"), FORMS, ids=[form for form, _ in FORMS])
@pytest.mark.parametrize(("lags", "live_on"), [(10, "2017-01-01"), (NEVER_EARLY, "2018-10-06")], ids=["soon", "late"])
def test_every_delivery_form_goes_live_alike_on_both_sides(form: str, stage: str, lags: int, live_on: str) -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "requires_improvement")]
    facts, stages = both_sides(decided(form), D(2017, 1, 1), world(script, lags, 0.5))
    assert facts[0] == (live_on, "alternative_delivery_live")  # DFE-07: at once, or on the last day allowed
    assert stages[-1] == stage


# ------------------------------------------------------------------------------------------------------------------
# Lags longer than every window: each response on its deadline day.

FRESH = [inspection(D(2017, 6, 1), "requires_improvement")]

LATE_CASES = [
    pytest.param(
        [ScriptedInspection(D(2018, 3, 1), "inadequate"), ScriptedInspection(D(2020, 9, 1), "requires_improvement")],
        None,
        [
            ("2018-03-01", "inspection_published"),
            ("2018-09-01", "improvement_notice_issued"),  # DFE-03: six months
            ("2020-09-01", "inspection_published"),
            ("2020-12-01", "improvement_notice_lifted"),  # DFE-08: three months
        ],
        id="notice-then-lifted",
    ),
    pytest.param(
        [ScriptedInspection(D(2018, 3, 1), "inadequate", systemic=True)],
        None,
        [
            ("2018-03-01", "inspection_published"),
            ("2018-09-01", "statutory_direction_issued"),  # DFE-03: six months
            ("2018-12-01", "commissioner_reported"),  # DFE-06: three months
            ("2019-12-01", "alternative_delivery_decided"),  # DFE-03b: within the year
            ("2021-12-01", "alternative_delivery_live"),  # DFE-07: 23 months and one
        ],
        id="commissioner-then-trust",
    ),
    pytest.param(
        [ScriptedInspection(D(2013, 3, 1), "inadequate"), ScriptedInspection(D(2016, 2, 1), "inadequate")],
        None,
        [
            ("2013-03-01", "inspection_published"),
            ("2013-09-01", "improvement_notice_issued"),  # DFE-02: six months
            ("2016-02-01", "inspection_published"),  # persistent failure after December 2015 (DFE-04)
            ("2016-08-01", "statutory_direction_issued"),
            ("2016-11-01", "commissioner_reported"),
            ("2017-11-01", "alternative_delivery_decided"),
            ("2019-11-01", "alternative_delivery_live"),
        ],
        id="persistent-2016",
    ),
    pytest.param(
        [ScriptedInspection(D(2023, 3, 1), "inadequate", systemic=True)],
        "dfe-2022",
        [
            ("2023-03-01", "inspection_published"),
            ("2023-09-01", "statutory_direction_issued"),
            ("2023-12-01", "commissioner_reported"),  # the 2022 presumption: alternative delivery recommended
            # DFE-03b's year from the report; the world has no answer of its own to the presumption's 18 months
            ("2024-12-01", "alternative_delivery_decided"),
            ("2026-12-01", "alternative_delivery_live"),
        ],
        id="presumption-2022",
    ),
]


@pytest.mark.parametrize(("script", "policy", "expected"), LATE_CASES)
def test_with_lags_longer_than_every_window_both_sides_act_on_each_deadline_day(
    script: list[ScriptedInspection], policy: str | None, expected: list[tuple[str, str]]
) -> None:
    start = D(2012, 1, 1) if script[0].published.year < 2015 else D(2018, 1, 1)
    history = [] if start.year < 2015 else FRESH
    facts, _ = both_sides(history, start, world(script, NEVER_EARLY, 1.0), policy)
    assert facts == expected


def test_the_kernel_tallies_one_council_in_intervention_from_the_direction_to_the_end() -> None:
    script = [ScriptedInspection(D(2018, 3, 1), "inadequate", systemic=True)]
    _, _, tally, _ = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 1.0))
    assert tally.councils_in_intervention == 1
    assert tally.intervention_days == (UNTIL - D(2018, 9, 1)).days  # direction on 1 September 2018, then a trust
    assert tally.alternative_delivery_live == 1
    assert tally.inadequate_by_year == [1] + [0] * 11  # 2018 only


def test_a_council_already_in_intervention_counts_from_the_first_day() -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "requires_improvement")]
    _, stages, tally, _ = played_with_tally(decided("partner_council"), D(2017, 1, 1), world(script, NEVER_EARLY, 0.5))
    assert stages[0] == "statutory_direction"
    assert tally.councils_in_intervention == 1
    assert tally.intervention_days == (UNTIL - D(2017, 1, 1)).days
    assert tally.inadequate_by_year == [0] * 12


def test_a_council_never_in_intervention_tallies_nothing() -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "good")]
    facts, stages, tally, _ = played_with_tally(FRESH, D(2018, 1, 1), world(script, 10, 0.5))
    assert facts == [("2019-06-01", "inspection_published")]
    assert set(stages) == {"requires_improvement", "good"}
    assert (tally.councils_in_intervention, tally.intervention_days, tally.alternative_delivery_live) == (0, 0, 0)


@pytest.mark.parametrize(
    ("earlier", "expected"),
    [(D(2014, 3, 1), "statutory_direction_issued"), (D(2014, 2, 28), "improvement_notice_issued")],
    ids=["five-years-to-the-day", "a-day-more"],
)
def test_dfe03_persistent_failure_is_judged_alike_on_both_sides_at_five_years(earlier: dt.date, expected: str) -> None:
    history = [
        inspection(earlier, "inadequate", help_and_protection="inadequate", children_in_care="requires_improvement",
                   leadership="requires_improvement"),
        {"type": "improvement_notice_issued", "occurred_on": earlier.isoformat()},
        inspection(D(2016, 6, 1), "requires_improvement"),
        {"type": "improvement_notice_lifted", "occurred_on": "2016-06-01"},
    ]  # fmt: skip
    script = [ScriptedInspection(D(2019, 3, 1), "inadequate")]
    facts, _ = both_sides(history, D(2018, 1, 1), world(script, 10, 0.0))
    assert facts[:2] == [("2019-03-01", "inspection_published"), ("2019-03-11", expected)]


@pytest.mark.parametrize(("p", "decided_on"), [(0.0, None), (1.0, "2019-12-01")], ids=["retains", "moves-out"])
def test_dfe06_the_commissioner_recommends_as_the_world_draws_before_2022(p: float, decided_on: str | None) -> None:
    script = [ScriptedInspection(D(2018, 3, 1), "inadequate", systemic=True)]
    facts, _ = both_sides(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, p))
    assert [day for day, kind in facts if kind == "alternative_delivery_decided"] == (
        [decided_on] if decided_on else []
    )


def test_dfe03_the_2022_presumption_moves_services_out_even_when_the_world_would_not() -> None:
    script = [ScriptedInspection(D(2023, 3, 1), "inadequate", systemic=True)]
    facts, _ = both_sides(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 0.0), "dfe-2022")
    assert ("2024-12-01", "alternative_delivery_decided") in facts


def test_an_instrument_the_record_lacks_is_issued_on_the_first_day_alike_on_both_sides() -> None:
    # The national CSV holds Ofsted's reports but not the DfE's notices: the DfE acts at once on the missed one.
    history = [inspection(D(2016, 9, 1), "inadequate", help_and_protection="inadequate",
                          children_in_care="requires_improvement", leadership="requires_improvement")]  # fmt: skip
    facts, stages = both_sides(history, D(2018, 1, 1), world([], 10, 0.5))
    assert facts == [("2018-01-01", "improvement_notice_issued")]  # DFE-03, missed since March 2017
    assert stages[0] == "improvement_notice"


def test_the_kernel_counts_days_in_intervention_over_two_spells() -> None:
    # A notice from 1 September 2018 lifted on 1 December 2020 ("returned" is not intervention), then a second
    # inadequate judgement and notice: two spells, added up; the council counts once.
    script = [
        ScriptedInspection(D(2018, 3, 1), "inadequate"),
        ScriptedInspection(D(2020, 9, 1), "requires_improvement"),
        ScriptedInspection(D(2022, 3, 1), "inadequate"),
    ]
    facts, _, tally, _ = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 0.5))
    assert ("2020-12-01", "improvement_notice_lifted") in facts
    second = next(day for day, kind in facts if kind in ("improvement_notice_issued", "statutory_direction_issued")
                  and day > "2021-01-01")  # fmt: skip
    first_spell = (D(2020, 12, 1) - D(2018, 9, 1)).days
    assert tally.intervention_days == first_spell + (UNTIL - D.fromisoformat(second)).days
    assert tally.councils_in_intervention == 1
    assert tally.inadequate_by_year == [1, 0, 0, 0, 1] + [0] * 7  # 2018 and 2022


# ------------------------------------------------------------------------------------------------------------------
# The calibrated world: Ofsted's next report drawn from the last one's era and grade, the DfE's lag from each step.

# One sample per draw, so every day is fixed: the interval after the last report depends on its era and grade, the
# next grade on the previous one (requires improvement and inadequate alternate), never systemic.
ALTERNATING = Calibration(
    transitions={"ilacs": {"requires_improvement": {"inadequate": 1}, "inadequate": {"requires_improvement": 1}}},
    first_grades={"ilacs": {"good": 1}},
    intervals={}, intervals_by_era={}, publication_lag={}, dfe_lags={}, dfe_examples={},
    samples={"interval:sif:requires_improvement": [365], "interval:ilacs:requires_improvement": [600],
             "interval:ilacs:inadequate": [500], "fieldwork:ilacs": [14], "publication_lag:ilacs": [40]},
    systemic={"ilacs": {"not_systemic": 1}},
)  # fmt: skip
LAGS_BY_STEP = {"inadequate_to_instrument": 20, "recovery_to_notice_lifted": 30, "recovery_to_direction_revoked": 90,
                "report_to_alternative_delivery_decided": 60, "alternative_delivery_decided_to_live": 200}  # fmt: skip


def test_both_sides_draw_the_next_report_from_the_last_one_s_era_and_grade_and_each_lag_from_its_step() -> None:
    calibrated = WorldModel(CalibratedOutcomes(ALTERNATING), DfEResponses(EMPTY, LAGS_BY_STEP, 0.0), switches=NONE)
    facts, _, tally, _ = played_with_tally(FRESH, D(2018, 1, 1), calibrated)
    assert facts == [
        ("2018-07-25", "inspection_published"),  # fieldwork 365 days after the SIF report of 1 June 2017
        ("2018-08-14", "improvement_notice_issued"),  # DFE-03: 20 days (inadequate_to_instrument)
        ("2020-01-30", "inspection_published"),  # 500 days after an inadequate report, then 14 + 40
        ("2020-02-29", "improvement_notice_lifted"),  # DFE-08: 30 days (recovery_to_notice_lifted)
        ("2021-11-14", "inspection_published"),  # 600 days after requires improvement: inadequate again
        ("2021-12-04", "statutory_direction_issued"),  # DFE-04: persistent failure
        ("2022-03-04", "commissioner_reported"),  # DFE-06: three months; the world retains (p = 0)
        ("2023-05-22", "inspection_published"),
        ("2023-08-20", "statutory_direction_revoked"),  # DFE-08: 90 days (recovery_to_direction_revoked)
        ("2025-03-06", "inspection_published"),
        ("2025-03-26", "statutory_direction_issued"),
        ("2025-06-26", "commissioner_reported"),  # the 2022 presumption: alternative delivery recommended
        ("2025-08-25", "alternative_delivery_decided"),  # DFE-03b: 60 days
        ("2026-03-13", "alternative_delivery_live"),  # DFE-07: 200 days
        ("2026-09-11", "inspection_published"),
        ("2026-12-10", "statutory_direction_revoked"),
    ]
    assert tally.inadequate_by_year == [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]  # 2018, 2021, 2025
    # A notice (564 days), a direction (624) and a direction then a trust to the end (1,010).
    assert tally.intervention_days == 564 + 624 + 1010


# ------------------------------------------------------------------------------------------------------------------
# Cases at the edges of the run and of the DfE's timers.


def test_an_expectation_met_shortly_before_the_end_is_closed_and_the_next_one_numbered_alike() -> None:
    # The notice of September 2027 meets DFE-03's expectation due in March 2028, after the run ends: both sides
    # close it, and number alike whatever the notice leaves open at the end.
    script = [
        ScriptedInspection(D(2018, 3, 1), "inadequate"),
        ScriptedInspection(D(2020, 9, 1), "requires_improvement"),
        ScriptedInspection(D(2027, 9, 1), "inadequate"),
    ]
    facts, _, tally, ends = played_with_tally(FRESH, D(2018, 1, 1), world(script, 10, 0.5))
    assert facts == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "improvement_notice_issued"),  # DFE-03: the lag, well within six months
        ("2020-09-01", "inspection_published"),
        ("2020-09-11", "improvement_notice_lifted"),  # DFE-08
        ("2027-09-01", "inspection_published"),  # more than five years on: not persistent failure (DFE-04)
        ("2027-09-11", "improvement_notice_issued"),
    ]
    assert ends == ["2021-09-11"]  # DFE-08: a year of support and supervision after the notice is lifted
    assert tally.intervention_days == (D(2020, 9, 11) - D(2018, 3, 11)).days + (UNTIL - D(2027, 9, 11)).days


def test_the_year_of_supervision_ends_on_its_day_alike_on_both_sides_when_a_failure_falls_inside_it() -> None:
    script = [
        ScriptedInspection(D(2018, 3, 1), "inadequate"),
        ScriptedInspection(D(2020, 9, 1), "requires_improvement"),
        ScriptedInspection(D(2021, 6, 1), "inadequate"),  # inside the year from 1 December 2020
    ]
    facts, _, _, ends = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 0.5))
    assert ends == ["2021-12-01"]  # DFE-08: a year after the notice was lifted, the day the direction comes
    assert facts[3:6] == [
        ("2020-12-01", "improvement_notice_lifted"),
        ("2021-06-01", "inspection_published"),
        ("2021-12-01", "statutory_direction_issued"),  # DFE-04: persistent failure within five years
    ]


def test_dfe08_a_second_good_report_while_a_revocation_is_awaited_opens_no_second_one_on_either_side() -> None:
    script = [
        ScriptedInspection(D(2018, 3, 1), "inadequate", systemic=True),
        ScriptedInspection(D(2020, 3, 1), "requires_improvement"),  # DFE-08: the direction revoked in due course
        ScriptedInspection(D(2020, 6, 1), "good"),  # while that revocation is awaited
        ScriptedInspection(D(2027, 9, 1), "inadequate"),  # leaves a notice expected after the end
    ]
    facts, _, _, _ = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 0.0))
    assert facts == [
        ("2018-03-01", "inspection_published"),
        ("2018-09-01", "statutory_direction_issued"),
        ("2018-12-01", "commissioner_reported"),  # the world retains (p = 0)
        ("2020-03-01", "inspection_published"),
        ("2020-06-01", "inspection_published"),
        ("2024-09-01", "statutory_direction_revoked"),  # the last day the first revocation allowed
        ("2027-09-01", "inspection_published"),
    ]


def test_dfe08_inadequate_again_in_a_trust_keeps_it_open_ended_then_the_better_report_withdraws_it() -> None:
    # The continuation expected on 3 June 2019 has no deadline (DFE-08); the better report of June 2021 withdraws it
    # and expects the direction revoked, which the DfE does ten days on. Nothing is left open on either side.
    script = [
        ScriptedInspection(D(2019, 6, 3), "inadequate"),
        ScriptedInspection(D(2021, 6, 1), "requires_improvement"),
    ]
    facts, stages, _, _ = played_with_tally(decided("imposed_trust"), D(2017, 1, 1), world(script, 10, 0.0))
    assert facts == [
        ("2017-01-01", "alternative_delivery_live"),
        ("2019-06-03", "inspection_published"),
        ("2021-06-01", "inspection_published"),
        ("2021-06-11", "statutory_direction_revoked"),
    ]
    assert stages[-1] == "trust"


def test_a_report_published_on_the_last_day_of_the_run_is_played() -> None:
    facts, stages = both_sides(FRESH, D(2018, 1, 1), world([ScriptedInspection(UNTIL, "good")], 10, 0.5))
    assert facts == [("2027-12-31", "inspection_published")]
    assert stages[-1] == "requires_improvement"  # the last sample, 1 December 2027, is before it


# ------------------------------------------------------------------------------------------------------------------
# One tally, many councils: a run adds up every council.


def test_one_run_s_tally_adds_up_every_council_and_counts_only_the_years_it_covers() -> None:
    start = D(2018, 1, 1)
    trust = world([ScriptedInspection(D(2018, 3, 1), "inadequate", systemic=True)], NEVER_EARLY, 1.0)
    two_spells = world(
        [
            ScriptedInspection(D(2018, 3, 1), "inadequate"),
            ScriptedInspection(D(2020, 9, 1), "requires_improvement"),
            ScriptedInspection(D(2022, 3, 1), "inadequate"),
        ],
        NEVER_EARLY,
        0.5,
    )
    end = D(2027, 12, 1)  # a sample date: the last day of the run is counted, the samples after it are not
    dates = [day for day in sample_dates(start, 12) if day <= D(2028, 2, 1)]
    tally = RunTally([day.toordinal() for day in dates], start.year, 4)  # 2018 to 2021: 2022 falls outside
    tables = tables_for(None)
    begin = start_of(engine_with(FRESH, start, None).council_as_of("382", start), start)
    for chosen in (trust, trust, two_spells):
        Lane(LaneStart.of(begin, tables), tables, chosen, council_rng(5, 0), tally).run(end.toordinal())
    assert tally.councils_in_intervention == 3
    assert tally.alternative_delivery_live == 3  # DFE-07: the two trusts, and the third under the 2022 presumption
    assert tally.inadequate_by_year == [3, 0, 0, 0]
    # Each trust from its direction on 1 September 2018; the notice from 1 September 2018 to 1 December 2020, then
    # the second spell from the notice that DFE-03 expects six months after March 2022.
    assert tally.intervention_days == (
        2 * (end - D(2018, 9, 1)).days + (D(2020, 12, 1) - D(2018, 9, 1)).days + (end - D(2022, 9, 1)).days
    )
    counts = tally.stage_counts()
    assert dates[-3:] == [end, D(2028, 1, 1), D(2028, 2, 1)]
    assert all(sum(row) == 3 for row in counts[:-2])  # every council in one stage on every sample date of the run
    assert counts[-2:] == [[0] * len(STAGES)] * 2  # and in none after it
    assert counts[0][STAGES.index("requires_improvement")] == 3  # 1 January 2018
    assert counts[-3][STAGES.index("trust")] == 3


def test_dfe08_inadequate_again_under_a_commissioner_s_direction_continues_it_on_both_sides() -> None:
    """After the commissioner reports (retain), the direction stays hers: a second inadequate judgement continues it
    (DFE-08), on the kernel as on the engine, instead of appointing another commissioner. The kernel used to see every
    direction as advisers' and escalate (found by mutation testing, issue 15)."""
    script = [
        ScriptedInspection(D(2018, 3, 1), "inadequate", True),
        ScriptedInspection(D(2019, 3, 1), "inadequate"),
        ScriptedInspection(D(2021, 3, 1), "requires_improvement"),
    ]
    facts, _, _, _ = played_with_tally(FRESH, D(2017, 7, 1), world(script, 10, 0.0))
    assert facts == [
        ("2018-03-01", "inspection_published"),
        ("2018-03-11", "statutory_direction_issued"),
        ("2018-06-11", "commissioner_reported"),
        ("2019-03-01", "inspection_published"),
        ("2021-03-01", "inspection_published"),
        ("2021-03-11", "statutory_direction_revoked"),
    ]
