"""Nine plausible bugs that once went unnoticed by the whole suite (issue 15), and plausible bugs in what came with
the merge of main (the dfe-2013-11 era, the same-fact tolerance of merged sources, unverified expectations, INF-01),
each as a small patch, and the tests that must now catch them.

As a pytest plugin it plants the bug named by the environment variable `PLANT_BUG` for a whole run:

    PLANT_BUG=ilacs08_more_than_four PYTHONPATH=tests pytest -p planted_bugs tests/test_thresholds.py

`tests/test_planted_bugs.py` does this for each bug and asserts that its catching tests fail (and pass without it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import pytest

from intervention_engine import facts
from intervention_engine.aggregates import council as council_module
from intervention_engine.aggregates import reacting
from intervention_engine.facts import AlternativeDeliveryDecided, DatePrecision
from intervention_engine.facts import base as fact_base
from intervention_engine.history import partial_dates, sources
from intervention_engine.policies import dfe_2013_11, dfe_2022, ilacs_2018, ilacs_2023, ilacs_2026, inference, sif_2013
from intervention_engine.policies.dfe_intervention import _FACT_HANDLERS, DfEInterventionPolicy
from intervention_engine.policies.reactions import CouncilView, Reactions
from intervention_engine.simulation import kernel
from intervention_engine.simulation.world import ADM_LIVE

Plant = Callable[[pytest.MonkeyPatch], None]


def regime_2022_a_day_early(patch: pytest.MonkeyPatch) -> None:
    """The 2022 presumption in force from 24 May 2022 instead of 25 May."""
    early = dataclasses.replace(dfe_2022.REGIME, in_force_from=dt.date(2022, 5, 24))
    patch.setattr(dfe_2022.POLICY, "regime", early)


def go_live_deadline_a_day_short(patch: pytest.MonkeyPatch) -> None:
    """DFE-07: the "alternative delivery live" expectation due one day before the 24 months are up."""
    original = _FACT_HANDLERS[AlternativeDeliveryDecided]

    def shorter(policy: DfEInterventionPolicy, council: CouncilView, fact: facts.Fact) -> Reactions:
        reactions: Reactions = original(policy, council, fact)
        expect = [
            dataclasses.replace(e, due_on=e.due_on - dt.timedelta(days=1)) if e.due_on else e for e in reactions.expect
        ]
        return dataclasses.replace(reactions, expect=expect)

    patch.setitem(_FACT_HANDLERS, AlternativeDeliveryDecided, shorter)


def deadline_left_pending(patch: pytest.MonkeyPatch) -> None:
    """An expectation met or contradicted keeps its deadline timer pending (only withdrawal cancels it)."""
    original = reacting.cancel_deadline

    def only_when_withdrawn(council: Any, expectation_id: str, occurred_on: str, reason: str) -> None:
        if reason == "expectation withdrawn":
            original(council, expectation_id, occurred_on, reason)

    patch.setattr(reacting, "cancel_deadline", only_when_withdrawn)


def placement_strict(patch: pytest.MonkeyPatch) -> None:
    """Partial-date placement compares strictly: an event listed before it on the period's last day is not followed
    (the partial date goes back to its period's first day, before that event)."""
    original = partial_dates.place

    def strict(
        text: str, after: tuple[dt.date, int] | None = None, before: tuple[dt.date, int] | None = None
    ) -> partial_dates.Placed:
        start, precision = facts.parse_partial_date(text)
        last_day = precision is not DatePrecision.day and partial_dates.period_end(start, precision)
        if after is not None and after[0] == last_day:
            how = f"{text.strip()} placed on {start.isoformat()} ({precision.value}: first day)"
            return partial_dates.Placed(start, precision, how)
        return original(text, after, before)

    patch.setattr(partial_dates, "place", strict)


def quarters_on_the_wrong_month(patch: pytest.MonkeyPatch) -> None:
    """A quarter placed on its last month (`2015-Q4` → 1 December) instead of its first."""
    original = facts.parse_partial_date

    def wrong(value: str) -> tuple[dt.date, DatePrecision]:
        day, precision = original(value)
        if precision is DatePrecision.quarter:
            day = day.replace(month=day.month + 2)
        return day, precision

    patch.setattr(facts, "parse_partial_date", wrong)
    patch.setattr(fact_base, "parse_partial_date", wrong)  # where every fact's date is read
    patch.setattr(partial_dates, "parse_partial_date", wrong)


def kernel_ignores_partner_council(patch: pytest.MonkeyPatch) -> None:
    """The compact kernel plays every go-live as a trust, a partner council's too."""
    patch.setattr(kernel, "ADM_LIVE_PARTNER", ADM_LIVE)


def ilacs08_more_than_four(patch: pytest.MonkeyPatch) -> None:
    """ILACS-08 "at least four monitoring visits" counted as "more than four"."""
    for module in (sif_2013, ilacs_2018, ilacs_2023, ilacs_2026):
        patch.setattr(module, "FRAMEWORK", dataclasses.replace(module.FRAMEWORK, minimum_monitoring_visits=5))


def ilacs12_reads_children_in_care(patch: pytest.MonkeyPatch) -> None:
    """ILACS-12's 2026 assumption reading children in care instead of help and protection."""

    def wrong(judgements: facts.Judgements) -> bool:
        return facts.Grade.inadequate in (judgements.leadership, judgements.children_in_care)

    patch.setattr(ilacs_2026, "FRAMEWORK", dataclasses.replace(ilacs_2026.FRAMEWORK, is_inadequate=wrong))


def kernel_drops_responses_on_the_deadline(patch: pytest.MonkeyPatch) -> None:
    """The kernel forgets an expectation on its deadline day before the DfE's answer due that day is played."""
    original = kernel.Lane._respond

    def dropping(lane: kernel.Lane, day: int, seq: int) -> None:
        if any(e[0] == seq and e[2] == day for e in lane.exps):
            lane.exps = [e for e in lane.exps if e[0] != seq]
            return
        original(lane, day, seq)

    patch.setattr(kernel.Lane, "_respond", dropping)


def regime_2013_11_a_day_late(patch: pytest.MonkeyPatch) -> None:
    """The record's commissioners (DFE-03 validation) in force from 2 November 2013 instead of the 1st."""
    late = dataclasses.replace(dfe_2013_11.REGIME, in_force_from=dt.date(2013, 11, 2))
    patch.setattr(dfe_2013_11.POLICY, "regime", late)


def same_fact_within_30_days(patch: pytest.MonkeyPatch) -> None:
    """Two sources' dates for one fact matched within 30 days instead of a month (31)."""
    patch.setattr(sources, "SAME_FACT_DAYS", 30)


def same_fact_within_32_days(patch: pytest.MonkeyPatch) -> None:
    """Two sources' dates for one fact matched within 32 days instead of a month (31)."""
    patch.setattr(sources, "SAME_FACT_DAYS", 32)


def unverified_regardless_of_coverage(patch: pytest.MonkeyPatch) -> None:
    """Every expectation missed is 'unverified', as if no source covered any council."""
    patch.setattr(council_module, "covered", lambda *args: False)


def missed_regardless_of_coverage(patch: pytest.MonkeyPatch) -> None:
    """Every expectation missed is 'missed', even where no source covers the council's record."""
    patch.setattr(council_module, "covered", lambda *args: True)


def inf01_direction_without_commissioner(patch: pytest.MonkeyPatch) -> None:
    """INF-01 infers a direction led by advisers (no commissioner review) before a commissioner's appointment."""
    original = inference.infer

    def advisers(fact: facts.Fact, states: Any, details: Any) -> inference.Inference | None:
        found = original(fact, states, details)
        if found is None or not isinstance(fact, facts.CommissionerAppointed):
            return found
        before = tuple(f.model_copy(update={"commissioner_review": False}) for f in found.before)
        return inference.Inference(found.fact, before)

    patch.setattr(council_module, "infer", advisers)


# name → (the patch, the tests that catch it)
BUGS: dict[str, tuple[Plant, tuple[str, ...]]] = {
    "regime_2022_a_day_early": (
        regime_2022_a_day_early,
        (
            "tests/test_eras.py::test_dfe10_the_registry_names_the_regime_of_the_day[2022-05-24]",
            "tests/test_eras.py::test_dfe10_a_report_on_each_boundary_day_is_judged_by_that_days_regime[2022-05-24]",
        ),
    ),
    "go_live_deadline_a_day_short": (
        go_live_deadline_a_day_short,
        (
            "tests/test_expectation_deadlines.py::test_every_expectation_is_due_on_the_day_its_deadline_timer_is"
            "[dfe07-go-live]",
        ),
    ),
    "deadline_left_pending": (
        deadline_left_pending,
        (
            "tests/test_expectation_deadlines.py::test_an_expectation_met_leaves_no_timer_pending[dfe03-notice]",
            "tests/test_expectation_deadlines.py::"
            "test_an_expectation_contradicted_is_one_deviation_and_leaves_no_timer_pending[dfe03-notice]",
        ),
    ),
    "placement_strict": (
        placement_strict,
        (
            "tests/test_partial_date_forms.py::test_a_partial_date_is_placed_by_the_one_rule[2015-Q4-after-2015-12-31]",
            "tests/test_partial_date_forms.py::test_a_partial_date_is_placed_by_the_one_rule[2017-after-2017-12-31]",
        ),
    ),
    "quarters_on_the_wrong_month": (
        quarters_on_the_wrong_month,
        (
            "tests/test_partial_date_forms.py::test_every_partial_date_form_starts_its_period[2015-Q4]",
            "tests/test_partial_date_forms.py::test_a_partial_date_is_placed_by_the_one_rule[2015-Q4-after-None]",
        ),
    ),
    "kernel_ignores_partner_council": (
        kernel_ignores_partner_council,
        (
            "tests/test_kernel_agreement.py::test_every_delivery_form_goes_live_alike_on_both_sides"
            "[soon-partner_council]",
        ),
    ),
    "ilacs08_more_than_four": (
        ilacs08_more_than_four,
        ("tests/test_thresholds.py::test_ilacs08_at_least_four_monitoring_visits_before_reinspection[4-None]",),
    ),
    "ilacs12_reads_children_in_care": (
        ilacs12_reads_children_in_care,
        (
            "tests/test_thresholds.py::test_ilacs12_the_assumption_reads_leaders_and_help_and_protection_alone"
            "[help_and_protection]",
            "tests/test_thresholds.py::test_ilacs12_the_assumption_reads_leaders_and_help_and_protection_alone"
            "[children_in_care]",
        ),
    ),
    "kernel_drops_responses_on_the_deadline": (
        kernel_drops_responses_on_the_deadline,
        (
            "tests/test_kernel_agreement.py::"
            "test_with_lags_longer_than_every_window_both_sides_act_on_each_deadline_day[notice-then-lifted]",
        ),
    ),
    "regime_2013_11_a_day_late": (
        regime_2013_11_a_day_late,
        (
            "tests/test_eras.py::test_dfe10_the_registry_names_the_regime_of_the_day[2013-11-01]",
            "tests/test_eras.py::test_dfe10_a_report_on_each_boundary_day_is_judged_by_that_days_regime[2013-11-01]",
            "tests/test_eras.py::test_dfe03_persistent_failure_expects_a_commissioner_from_november_2013[2013-11-01]",
        ),
    ),
    "same_fact_within_30_days": (
        same_fact_within_30_days,
        ("tests/test_national_record.py::test_the_same_fact_tolerance_is_a_month[31-True]",),
    ),
    "same_fact_within_32_days": (
        same_fact_within_32_days,
        ("tests/test_national_record.py::test_the_same_fact_tolerance_is_a_month[32-False]",),
    ),
    "unverified_regardless_of_coverage": (
        unverified_regardless_of_coverage,
        (
            "tests/test_national_record.py::test_an_expectation_missed_where_no_source_covers_the_council_is_unverified",
            "tests/test_expectation_deadlines.py::test_an_expectation_missed_on_the_day_after_its_deadline"
            "[dfe02-any-instrument]",
        ),
    ),
    "missed_regardless_of_coverage": (
        missed_regardless_of_coverage,
        ("tests/test_national_record.py::test_an_expectation_missed_where_no_source_covers_the_council_is_unverified",),
    ),
    "inf01_direction_without_commissioner": (
        inf01_direction_without_commissioner,
        ("tests/test_engine.py::test_lenient_mode_infers_the_direction_a_commissioner_implies[memory]",),
    ),
}

_planted = pytest.MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    name = os.environ.get("PLANT_BUG", "")
    if name:
        if name not in BUGS:
            raise pytest.UsageError(f"PLANT_BUG={name!r} is not a planted bug; known: {', '.join(BUGS)}")
        BUGS[name][0](_planted)


def pytest_unconfigure(config: pytest.Config) -> None:
    _planted.undo()
