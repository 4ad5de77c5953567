"""The policy test kit (`intervention_engine.testing`, issue 12): the pytest plugin run by pytest itself (`pytester`),
the README's 2027 walkthrough run as the test file it is, and each part of `then` failing for the difference it
names, with the timeline in the message."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from intervention_engine.testing import PolicyScenario, ScenarioMaker, ScenarioMismatch, with_policy

from factories import inspection

pytest_plugins = ["pytester"]

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
D = dt.date


def _walkthrough() -> str:
    [block] = [b for b in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL) if "test_policy_2027" in b]
    return block


def test_the_readme_2027_walkthrough_passes_under_pytest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_policy_2027=_walkthrough())
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_a_failing_then_shows_what_differs_and_the_timeline(pytester: pytest.Pytester) -> None:
    wrong = (
        _walkthrough()
        + """

def test_a_wrong_stage(policy_scenario):
    scenario = policy_scenario(with_policy(POLICY_2027), start=dt.date(2026, 6, 1))
    scenario.given(SYSTEMIC).when(DIRECTION).then(stage="trust")
"""
    )
    pytester.makepyfile(test_policy_2027=wrong)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    lines = [
        "ScenarioMismatch: then, on 2027-02-10 for council 900:",
        "  - stage is 'commissioner_review', expected 'trust'",
        "timeline:",
        "  2026-06-01  Registered              registered Testshire (900)  [not_inspected]",
        "  2027-02-01  FactRecorded            inspection published: overall not graded (ilacs_2026)  [ungraded]",
        "  2027-02-10  FactRecorded            statutory direction issued with commissioner review  "
        "[commissioner_review]",
        "  2027-02-10  TimerScheduled          timer commissioner_report_due scheduled, due 2027-04-10 (DFE-06)",
    ]
    result.stdout.re_match_lines([f"^E .*{re.escape(line)}$" for line in lines])
    assert "def then(" not in result.stdout.str()  # the kit's own lines are hidden from the traceback


def test_the_fixture_comes_from_the_installed_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_it(policy_scenario):\n    assert callable(policy_scenario)\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    # Without plugins loaded from entry points, the fixture is not there: it is the entry point that brings it.
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:intervention_engine").assert_outcomes(errors=1)


@pytest.fixture
def notice(policy_scenario: ScenarioMaker) -> PolicyScenario:
    """Kirklees under the real policies: first inadequate in June 2017 (not systemic), a notice in August (DFE-03)."""
    scenario = policy_scenario(start=D(2010, 1, 1), council="382", name="Kirklees")
    scenario.given(inspection(D(2017, 6, 13), "inadequate", children_in_care="requires_improvement"))
    return scenario.when({"type": "improvement_notice_issued", "occurred_on": "2017-08-08"})


def test_then_holds_when_every_part_is_as_stated(notice: PolicyScenario) -> None:
    notice.then(
        stage="improvement_notice",
        states={"judgement": "inadequate", "instrument": "improvement_notice"},
        only="DFE-05",
        timers={"improvement_plan_due": "2017-10-08", "dfe_progress_review": "2018-02-08"},  # not DFE-05a's
        expectations={},
        deviations=[],
    )


@pytest.mark.parametrize(
    ("then", "difference"),
    [
        ({"stage": "statutory_direction"}, "stage is 'improvement_notice', expected 'statutory_direction'"),
        ({"states": {"instrument": "none"}}, "instrument is 'improvement_notice', expected 'none'"),
        ({"only": "DFE-05", "timers": {"improvement_plan_due": "2017-10-09", "dfe_progress_review": "2018-02-08"}},
         "timers: improvement_plan_due is ['2017-10-08'], expected ['2017-10-09']"),
        ({"only": "DFE-05", "timers": {"improvement_plan_due": "2017-10-08"}},
         "timers: dfe_progress_review ['2018-02-08'] was not expected"),
        ({"only": "DFE-05", "timers": {"improvement_plan_due": "2017-10-08", "dfe_progress_review": "2018-02-08",
                                       "diagnostic_review_due": "2017-11-08"}},  # DFE-05a's, not DFE-05's
         "timers: no diagnostic_review_due (expected ['2017-11-08'])"),
        ({"expectations": {"notice_lifted": "2022-07-01"}}, "expectations: no notice_lifted open"),
        ({"deviations": [{"kind": "improvement_notice", "how": "missed"}]},
         "deviations: 0 recorded, expected 1 (recorded: none)"),
    ],
    ids=["stage", "state", "timer-day", "timer-unexpected", "timer-missing", "expectation", "deviation"],
)  # fmt: skip
def test_then_names_each_difference_and_shows_the_timeline(
    notice: PolicyScenario, then: dict[str, object], difference: str
) -> None:
    with pytest.raises(ScenarioMismatch) as failed:
        notice.then(**then)  # type: ignore[arg-type]
    lines = str(failed.value).splitlines()
    assert lines[0] == "then, on 2017-08-08 for council 382:"
    assert lines[1] == f"  - {difference}"
    assert "timeline:" in lines
    assert lines[-1].startswith("  2017-08-08  ")


def test_time_travel_fires_timers_on_the_day_after_they_fall_due(notice: PolicyScenario) -> None:
    [action_plan] = notice.travel_to(D(2017, 10, 8))  # ILACS-07's action plan, due 20 September
    assert (action_plan.kind, action_plan.due_on) == ("action_plan_due", D(2017, 9, 20))
    notice.then(only="DFE-05", timers={"improvement_plan_due": "2017-10-08", "dfe_progress_review": "2018-02-08"})
    [fired] = notice.travel_to(D(2017, 10, 9))  # the plan was due on 8 October: that day is over now
    assert (fired.kind, fired.due_on, fired.rule_id) == ("improvement_plan_due", D(2017, 10, 8), "DFE-05")
    assert notice.today == D(2017, 10, 9)
    assert notice.fired == [action_plan, fired]


def test_an_expectation_checked_by_its_fields_and_a_deviation_by_its_own(policy_scenario: ScenarioMaker) -> None:
    scenario = policy_scenario(start=D(2010, 1, 1), council="382", name="Kirklees")
    scenario.when(inspection(D(2014, 9, 1), "inadequate", children_in_care="requires_improvement"))
    scenario.then(only="DFE-02", expectations={"dfe_intervention": {"policy_version": "dfe-2013-11",
                                                                    "due_on": "2015-03-01"}})  # fmt: skip
    scenario.travel_to(D(2015, 3, 2))
    scenario.then(only="DFE-02", expectations={}, deviations=[{"how": "missed", "occurred_on": "2015-03-01"}])
    with pytest.raises(ScenarioMismatch, match=r"deviation 1: how is 'missed', expected 'contradicted'"):
        scenario.then(only="DFE-02", deviations=[{"how": "contradicted"}])


def test_a_fact_the_rulebook_forbids_fails_at_once(policy_scenario: ScenarioMaker) -> None:
    scenario = policy_scenario(start=D(2010, 1, 1))
    with pytest.raises(ValueError, match="improvement_notice_lifted"):
        scenario.given({"type": "improvement_notice_lifted", "occurred_on": "2015-01-01"})


def test_with_policy_puts_a_regime_in_force_from_its_date() -> None:
    from intervention_engine.policies import dfe_2016

    registry = with_policy(dfe_2016.POLICY, from_date=D(2027, 1, 1))
    assert [p.version for p in registry.in_force(D(2026, 12, 31))][-1] == "dfe-2026-04"
    assert [p.version for p in registry.in_force(D(2027, 1, 1))] == ["ofsted-inspection-cycle", "dfe-2016-07"]
