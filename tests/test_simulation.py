"""The world model on the full engine, the compact kernel's agreement with it, and counterfactual policy replay."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.calendar import add_months
from intervention_engine.facts import Fact, fact_to_data
from intervention_engine.policies.registry import default_registry
from intervention_engine.policies.rulebook import STAGES
from intervention_engine.simulation import RealRecord, ScriptedInspection, WorldModel, counterfactual
from intervention_engine.simulation.compare import timeline
from intervention_engine.simulation.forward import play_forward
from intervention_engine.simulation.kernel import Lane
from intervention_engine.simulation.montecarlo import registry_for, sample_dates
from intervention_engine.simulation.outcomes import inspection_fact
from intervention_engine.simulation.start import CouncilStart, council_as_of, events_until, national_start, start_of
from intervention_engine.simulation.tables import FIRST_INSPECTION, KernelTables, LaneStart
from intervention_engine.simulation.tally import EVENTS, READOUTS, RunTally
from intervention_engine.simulation.world import WorldSwitches, action_fact, council_rng, run_seeds

from factories import inspection, registration
from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2018, 1, 1)


@pytest.fixture(scope="module")
def record() -> RealRecord:
    return RealRecord.load(OFSTED_CSV, sorted((ROOT / "scenarios").glob("*.yaml")))


@pytest.fixture(scope="module")
def national(record: RealRecord) -> InterventionEngine:
    return record.replay(START)


def _engine_with(*facts: dict[str, Any], policy: str | None = None) -> InterventionEngine:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2014, 1, 1)),
                          policies=registry_for(policy))  # fmt: skip
    engine.record(None, registration())
    for fact in facts:
        engine.record("382", fact)
    return engine


def _fixed_world(record: RealRecord, script: list[ScriptedInspection], **options: Any) -> WorldModel:
    """A world with the DfE's fixed lag; the dynamics of issue 12 off (tests/test_world_dynamics.py has them)."""
    options.setdefault("switches", WorldSwitches.none())
    return WorldModel.calibrated(record.calibration(), fixed_lags=10, script={"382": script}, **options)


def _types(facts: list[Fact]) -> list[tuple[str, str]]:
    return [(fact.occurred_on.isoformat(), fact.describe()) for fact in facts]


# ----------------------------------------------------------------------------------------------------------------
# The world model on the full engine.


def test_the_dfe_answers_systemic_failure_with_a_commissioner_who_moves_services_to_a_trust(
    record: RealRecord,
) -> None:
    engine = _engine_with()
    script = [ScriptedInspection(dt.date(2019, 3, 1), "inadequate", systemic=True)]
    world = _fixed_world(record, script, p_alternative_delivery=1.0)
    start = start_of(council_as_of(engine, "382", dt.date(2019, 1, 1)), dt.date(2019, 1, 1))
    facts = play_forward(engine, start, dt.date(2021, 12, 31), world, random.Random(1))
    assert _types(facts) == [
        ("2019-03-01", "inspection_published"),
        ("2019-03-11", "statutory_direction_issued"),  # DFE-03 systemic: a commissioner, after the fixed lag
        ("2019-06-11", "commissioner_reported"),  # DFE-06: when commissioner_report_due falls due
        ("2019-06-21", "alternative_delivery_decided"),  # DFE-03b
        ("2019-07-01", "alternative_delivery_live"),  # DFE-07
    ]
    assert all(fact.simulated for fact in facts)
    assert engine.state("382").stage == "trust"
    assert engine.state("382").deviations == []


def test_a_first_inadequate_gets_a_notice_lifted_after_recovery_then_a_year_of_supervision(record: RealRecord) -> None:
    engine = _engine_with()
    script = [
        ScriptedInspection(dt.date(2019, 3, 1), "inadequate"),
        ScriptedInspection(dt.date(2021, 9, 1), "requires_improvement"),
    ]
    start = start_of(council_as_of(engine, "382", dt.date(2019, 1, 1)), dt.date(2019, 1, 1))
    facts = play_forward(engine, start, dt.date(2023, 1, 1), _fixed_world(record, script), random.Random(1))
    assert _types(facts) == [
        ("2019-03-01", "inspection_published"),
        ("2019-03-11", "improvement_notice_issued"),  # DFE-03: not persistent, not systemic
        ("2021-09-01", "inspection_published"),
        ("2021-09-11", "improvement_notice_lifted"),  # DFE-08
    ]
    assert engine.state("382", as_of=dt.date(2022, 6, 1)).stage == "returned"
    assert engine.state("382").stage == "requires_improvement"  # DFE-08: supervision ended after twelve months


def test_under_the_2022_presumption_the_commissioner_recommends_removal(record: RealRecord) -> None:
    engine = _engine_with(policy="dfe-2022")
    script = [ScriptedInspection(dt.date(2019, 3, 1), "inadequate", systemic=True)]
    world = _fixed_world(record, script, p_alternative_delivery=0.0)  # would never recommend it unprompted
    start = start_of(council_as_of(engine, "382", dt.date(2019, 1, 1)), dt.date(2019, 1, 1))
    facts = play_forward(engine, start, dt.date(2021, 12, 31), world, random.Random(1))
    report = next(fact for fact in facts if fact.describe() == "commissioner_reported")
    assert fact_to_data(report)["recommendation"] == "alternative_delivery"
    assert engine.state("382").stage == "trust"


def test_calibrated_outcomes_are_reproducible_from_the_seed(record: RealRecord) -> None:
    world = WorldModel.calibrated(record.calibration())

    def play(seed: int) -> list[dict[str, Any]]:
        engine = _engine_with(inspection(dt.date(2017, 6, 1), "requires_improvement"))
        start = start_of(council_as_of(engine, "382", START), START)
        return [fact_to_data(f) for f in play_forward(engine, start, dt.date(2030, 1, 1), world, random.Random(seed))]

    assert play(3) == play(3)
    assert play(3) != play(4)
    assert len(play(3)) >= 3  # an inspection every three to five years (ILACS-04)


def test_a_missing_dfe_instrument_in_the_record_is_filled_on_the_first_day(national: InterventionEngine) -> None:
    starts = {start.name: start for start in national_start(national, START)}
    gaps = [start for start in starts.values() if start.gap_fills]
    assert gaps, "the CSV holds inadequate judgements with no DfE fact: the world model answers them"
    assert all(start.states["judgement"] == "inadequate" for start in gaps)
    assert not starts["Kirklees"].gap_fills  # its scenario records the direction


@pytest.mark.parametrize(("record_complete", "how"), [(True, "missed"), (False, "unverified")])
def test_an_instrument_expected_and_not_on_record_is_filled_whether_missed_or_unverified(
    record_complete: bool, how: str
) -> None:
    """Where the DfE record is partial the expectation closes unverified; the simulation still answers it."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2014, 1, 1)))
    engine.record(None, {**registration(), "record_complete": record_complete})
    engine.record("382", inspection(dt.date(2017, 6, 1), "inadequate"))
    engine.advance_to(START)
    assert {d["how"] for d in engine.deviations("382")} == {how}
    assert start_of(council_as_of(engine, "382", START), START).gap_fills


# ----------------------------------------------------------------------------------------------------------------
# The kernel agrees with the full engine.


def _kernel_lane(
    start: CouncilStart, tables: KernelTables, world: WorldModel, seed: int, until: dt.date
) -> tuple[list[Fact], list[str]]:
    samples = [day.toordinal() for day in sample_dates(START, 10)]
    samples = [day for day in samples if day <= until.toordinal()]
    tally, log = RunTally(samples, START.year, 10), []
    lane = Lane(LaneStart.of(start, tables), tables, world, council_rng(seed, start.number), tally, log)
    lane.run(until.toordinal())
    facts = [inspection_fact(extra) if action == -1 else action_fact(action, day, because=extra)
             for day, action, extra in log if extra != "support_and_supervision_ends"]  # fmt: skip
    stages = [next(stage for stage, n in zip(_stages(), row, strict=True) if n) for row in tally.stage_counts()]
    return facts, stages


def _stages() -> tuple[str, ...]:
    from intervention_engine.policies.rulebook import STAGES

    return STAGES


@pytest.mark.parametrize("policy", [None, "dfe-2022"])
def test_the_kernel_plays_the_same_facts_and_stages_as_the_full_engine(
    national: InterventionEngine, record: RealRecord, policy: str | None
) -> None:
    until = add_months(START, 12 * 8)
    world = WorldModel.calibrated(record.calibration(), p_alternative_delivery=0.5)
    starts = national_start(national, START)
    chosen = [s for s in starts if s.expectations or s.gap_fills or s.states["instrument"] != "none"]
    chosen += [s for s in starts if s.states["judgement"] == "requires_improvement"][:12]
    tables = KernelTables(registry_for(policy), START, until)
    dates = [day for day in sample_dates(START, 10) if day <= until]
    checked = 0
    for seed in run_seeds(11, 2):
        for start in chosen:
            sandbox = build_engine(Settings(backend="memory"), clock=VirtualClock(START), policies=registry_for(policy))
            sandbox.store.save(*events_until(national, national.index.find(start.code), START))
            played = play_forward(sandbox, start, until, world, council_rng(seed, start.number))
            facts, stages = _kernel_lane(start, tables, world, seed, until)
            assert [fact_to_data(f) for f in facts] == [fact_to_data(f) for f in played], start.name
            assert stages == timeline(("engine", sandbox), start.code, START, until, dates).stages, start.name
            checked += len(played)
    assert checked > 100  # the sample exercised the world model, not empty lanes


def test_the_kernel_knows_whose_direction_is_open_as_the_aggregate_does() -> None:
    """DFE-08 (b): a persistent failure under a commissioner's direction continues it; under an advisers' direction
    it escalates to a commissioner. The kernel tracks who leads the direction as `decide_details` does."""
    from intervention_engine.simulation.world import APPOINT, DIRECTION, REPORT_RETAIN, REVOKE

    tables = KernelTables(default_registry(), START, dt.date(2028, 1, 1))
    assert (tables.led_after(DIRECTION, False), tables.led_after(APPOINT, False)) == (True, True)
    assert (tables.led_after(REPORT_RETAIN, True), tables.led_after(REVOKE, True)) == (True, False)
    directed = tables.combo_of({"judgement": "inadequate", "instrument": "statutory_direction", "delivery": "council",
                                "supervision": "none"})  # fmt: skip
    inadequate = FIRST_INSPECTION + 2 * 2 * 3  # an inadequate report, not systemic (the order of `_exemplars`)
    day = tables.policy_set(dt.date(2019, 1, 1).toordinal())
    led = tables.reaction(day, inadequate, directed, True, False, led=True)
    advisers = tables.reaction(day, inadequate, directed, True, False, led=False)
    assert [kind for kind, _, _ in led.opens] == ["intervention_continues"]
    assert [kind for kind, _, _ in advisers.opens] == ["direction_with_commissioner"]


def test_the_kernel_tables_come_from_the_rulebook_and_the_policies() -> None:
    tables = KernelTables(default_registry(), START, dt.date(2028, 1, 1))
    none = tables.combo_of({"judgement": "inadequate", "instrument": "none", "delivery": "council",
                            "supervision": "none"})  # fmt: skip
    notice = tables.moves[0][none]  # improvement_notice_issued
    assert tables.combos[notice]["instrument"] == "improvement_notice"
    assert tables.moves[0][notice] == -1  # a second notice is refused (DESIGN decision 3)
    reaction = tables.reaction(tables.policy_set(START.toordinal()), FIRST_INSPECTION + 2 * 2 * 3, none, False, False)
    assert [kind for kind, _, _ in reaction.opens] == ["improvement_notice"]  # DFE-03, first inadequate


# ----------------------------------------------------------------------------------------------------------------
# Counterfactual policy replay.


def test_the_case_by_case_rules_in_2014_15_would_have_expected_less_than_the_record_shows(
    record: RealRecord,
) -> None:
    engine = record.replay(dt.date(2016, 6, 30))
    found = counterfactual(
        engine, "dfe-2013", since=dt.date(2014, 1, 1), until=dt.date(2015, 12, 13),
        councils=["330", "871", "372", "382"],  # Birmingham, Slough, Rotherham, Kirklees
    )  # fmt: skip
    names = {c.name for c in found.expecting("dfe_intervention", only_new=True)}
    assert names == {"Birmingham", "Slough"}  # systemic failures of 2014: in fact a commissioner (DFE-03 validation)
    slough = next(c for c in found.councils if c.name == "Slough")
    assert {e["kind"] for e in slough.expected_in_fact} >= {"direction_with_commissioner"}
    either = [e for e in slough.expected if e["kind"] == "dfe_intervention"]
    assert [e["status"] for e in either] == ["met"]  # its imposed trust meets the case-by-case expectation too
    assert "Birmingham (330)" in found.text("dfe_intervention")
    # Rotherham's commissioners came before the 2014 report; Kirklees failed in 2016: nothing new in 2014-15.
    assert engine.deviations("Slough") == council_as_of(engine, "871", dt.date(2016, 6, 30)).deviations


def test_a_run_tally_is_made_from_its_dates_and_years_alone_every_count_at_zero() -> None:
    tally = RunTally([dt.date(2025, 1, 1).toordinal(), dt.date(2025, 2, 1).toordinal()], 2025, 3)
    # Two sample dates and the row past the last (3 rows) of 13 stages and of 8 readouts; three years; five events.
    assert (len(STAGES), len(READOUTS), len(EVENTS)) == (13, 8, 5)
    assert (tally.stage_diff, tally.readout_diff) == ([0] * 39, [0] * 24)
    assert (tally.inadequate_by_year, tally.events) == ([0, 0, 0], [0] * 5)
    assert (tally.intervention_days, tally.councils_in_intervention, tally.alternative_delivery_live) == (0, 0, 0)
    for derived in ("stage_diff", "readout_diff", "inadequate_by_year", "events", "intervention_days"):
        with pytest.raises(TypeError, match=derived):
            RunTally([1], 2025, 1, **{derived: [0]})  # type: ignore[arg-type]
