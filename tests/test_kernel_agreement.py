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
from intervention_engine.simulation.kernel import Lane, LaneStart, RunTally
from intervention_engine.simulation.montecarlo import registry_for, sample_dates
from intervention_engine.simulation.outcomes import ScriptedInspection, ScriptedOutcomes, inspection_fact
from intervention_engine.simulation.start import start_of
from intervention_engine.simulation.tables import KernelTables
from intervention_engine.simulation.world import DfEResponses, WorldModel, action_fact, council_rng

from factories import inspection, registration

D = dt.date
UNTIL = D(2027, 12, 31)
NEVER_EARLY = 100_000  # days: longer than every window, so the DfE acts on each deadline day
EMPTY = Calibration({}, {}, {}, {}, {}, {}, {})
_TABLES: dict[str | None, KernelTables] = {}


def tables_for(policy: str | None) -> KernelTables:
    if policy not in _TABLES:
        _TABLES[policy] = KernelTables(registry_for(policy), D(2016, 1, 1), UNTIL)
    return _TABLES[policy]


def world(script: Sequence[ScriptedInspection], lags: int, p_alternative_delivery: float) -> WorldModel:
    return WorldModel(ScriptedOutcomes({"382": script}), DfEResponses(EMPTY, lags, p_alternative_delivery))


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
    facts, stages, _ = played_with_tally(history, start, chosen, policy)
    return facts, stages


def played_with_tally(
    history: Sequence[dict[str, Any]], start: dt.date, chosen: WorldModel, policy: str | None = None
) -> tuple[list[tuple[str, str]], list[str], RunTally]:
    """Play the council forward on the full engine and on the kernel; assert they agree; return the engine's facts
    (day, description), its stages on the first of every month, and the kernel's tally."""
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
    return [(f.occurred_on.isoformat(), f.describe()) for f in played], engine_stages, tally


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
    _, _, tally = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 1.0))
    assert tally.councils_in_intervention == 1
    assert tally.intervention_days == (UNTIL - D(2018, 9, 1)).days  # direction on 1 September 2018, then a trust
    assert tally.alternative_delivery_live == 1
    assert tally.inadequate_by_year == [1] + [0] * 11  # 2018 only


def test_a_council_already_in_intervention_counts_from_the_first_day() -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "requires_improvement")]
    _, stages, tally = played_with_tally(decided("partner_council"), D(2017, 1, 1), world(script, NEVER_EARLY, 0.5))
    assert stages[0] == "statutory_direction"
    assert tally.councils_in_intervention == 1
    assert tally.intervention_days == (UNTIL - D(2017, 1, 1)).days
    assert tally.inadequate_by_year == [0] * 12


def test_a_council_never_in_intervention_tallies_nothing() -> None:
    script = [ScriptedInspection(D(2019, 6, 1), "good")]
    facts, stages, tally = played_with_tally(FRESH, D(2018, 1, 1), world(script, 10, 0.5))
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
    facts, _, tally = played_with_tally(FRESH, D(2018, 1, 1), world(script, NEVER_EARLY, 0.5))
    assert ("2020-12-01", "improvement_notice_lifted") in facts
    second = next(day for day, kind in facts if kind in ("improvement_notice_issued", "statutory_direction_issued")
                  and day > "2021-01-01")  # fmt: skip
    first_spell = (D(2020, 12, 1) - D(2018, 9, 1)).days
    assert tally.intervention_days == first_spell + (UNTIL - D.fromisoformat(second)).days
    assert tally.councils_in_intervention == 1
    assert tally.inadequate_by_year == [1, 0, 0, 0, 1] + [0] * 7  # 2018 and 2022
