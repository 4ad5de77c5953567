"""Nine plausible bugs that once went unnoticed by the whole suite (issue 15), each as a small patch, and the tests
that must now catch them.

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
from intervention_engine.aggregates.council import Council
from intervention_engine.facts import AlternativeDeliveryDecided, DatePrecision
from intervention_engine.history import timelines
from intervention_engine.policies import dfe_2022, ilacs_2018, ilacs_2023, ilacs_2026, sif_2013
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
    original = Council._cancel_deadline

    def only_when_withdrawn(council: Council, expectation_id: str, occurred_on: str, reason: str) -> None:
        if reason == "expectation withdrawn":
            original(council, expectation_id, occurred_on, reason)

    patch.setattr(Council, "_cancel_deadline", only_when_withdrawn)


def placement_strict(patch: pytest.MonkeyPatch) -> None:
    """Partial-date placement compares strictly: an earlier event on the period's last day is not followed."""

    def strict(path: Any, line: int, event: Any, previous: dt.date, found: Any) -> tuple[dt.date, DatePrecision]:
        start, precision = facts.parse_partial_date(str(event.get("date", "")))
        if precision is DatePrecision.day:
            return start, precision
        end = timelines._period_end(start, precision)
        day = previous if start < previous < end else start
        found.placed.append(
            f"line {line}: {str(event.get('date')).strip()} placed on {day.isoformat()} ({precision.value})"
        )
        return day, precision

    patch.setattr(timelines, "_place", strict)


def quarters_on_the_wrong_month(patch: pytest.MonkeyPatch) -> None:
    """A quarter placed on its last month (`2015-Q4` → 1 December) instead of its first."""
    original = facts.parse_partial_date

    def wrong(value: str) -> tuple[dt.date, DatePrecision]:
        day, precision = original(value)
        if precision is DatePrecision.quarter:
            day = day.replace(month=day.month + 2)
        return day, precision

    patch.setattr(facts, "parse_partial_date", wrong)
    patch.setattr(timelines, "parse_partial_date", wrong)


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
            "tests/test_partial_dates.py::test_a_partial_date_is_placed_by_the_one_rule[2015-Q4-after-2015-12-31]",
            "tests/test_partial_dates.py::test_a_partial_date_is_placed_by_the_one_rule[2017-after-2017-12-31]",
        ),
    ),
    "quarters_on_the_wrong_month": (
        quarters_on_the_wrong_month,
        (
            "tests/test_partial_dates.py::test_every_partial_date_form_starts_its_period[2015-Q4]",
            "tests/test_partial_dates.py::test_a_partial_date_is_placed_by_the_one_rule[2015-Q4-after-None]",
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
