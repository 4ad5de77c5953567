"""Calibration of the DfE's side from a small hand-built record: each parameter's cases, value and interval, and the
fallback named when the cases are too few (fewer than five); and the backtest's scores on a tiny hand-computed case."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intervention_engine.facts import Fact, parse_fact
from intervention_engine.history.ofsted_csv import OfstedImport
from intervention_engine.simulation import parameters as parameters_module
from intervention_engine.simulation.calibration import calibrate
from intervention_engine.simulation.named_parameters import with_parameters
from intervention_engine.simulation.parameters import MIN_CASES, world_parameters
from intervention_engine.simulation.skill import Scored, crps, interval_score, summary
from intervention_engine.simulation.world import DfEResponses, WorldModel

D = dt.date


def fact(kind: str, on: str, **fields: Any) -> Fact:
    return parse_fact({"type": kind, "occurred_on": on, **fields})


def notice(issued: str, ended_by: str, ended: str, **fields: Any) -> list[Fact]:
    return [fact("improvement_notice_issued", issued), fact(ended_by, ended, **fields)]


# Five notices: three lifted after 12, 18 and 6 months; one escalated to a direction after 36 months (Bradford's
# pattern); one escalated by a commissioner after 12 months. Reviews: 2 + 3 + 1 + 6 + 2 = 14; escalations: 2.
NOTICES = {
    "A": notice("2018-01-10", "improvement_notice_lifted", "2019-01-10"),
    "B": notice("2018-01-10", "improvement_notice_lifted", "2019-07-10"),
    "C": notice("2018-01-10", "improvement_notice_lifted", "2018-07-10"),
    "D": notice("2018-01-10", "statutory_direction_issued", "2021-01-10", commissioner_review=False),
    "E": notice("2019-01-10", "commissioner_appointed", "2020-01-10"),
}
# Two trusts: one back after 730 days, one still out at the end of the record (the latest fact, 2021-01-10).
TRUSTS = {
    "F": [fact("alternative_delivery_live", "2016-01-01"), fact("alternative_delivery_ended", "2017-12-31")],
    "G": [fact("alternative_delivery_live", "2020-01-10")],
}
REPORTS = {"H": [fact("commissioner_reported", "2017-03-01", recommendation="alternative_delivery"),
                 fact("commissioner_reported", "2018-03-01", recommendation="retain")]}  # fmt: skip


def parameters(histories: dict[str, list[Fact]]) -> dict[str, Any]:
    found = calibrate(OfstedImport(Path("none.csv")), (), histories)
    return {p.name: p for p in world_parameters(found)}


def test_escalation_per_review_counts_every_notice_and_its_reviews() -> None:
    found = parameters({**NOTICES, **TRUSTS})["insufficient_progress_per_review"]
    assert (found.cases, found.value, found.enough) == (5, pytest.approx(2 / 14), True)
    assert found.used == pytest.approx(2 / 14)
    assert found.low is not None
    assert found.high is not None
    assert 0 <= found.low < 2 / 14 < found.high <= 1  # a bootstrap interval around the value
    assert "5 cases" in found.text()
    assert "too few" not in found.text()


def test_a_parameter_with_too_few_cases_says_so_and_names_its_fallback() -> None:
    found = parameters({**NOTICES, **TRUSTS, **REPORTS})
    returns = found["services_return_per_year"]
    # 730 + 366 days out of the council (2016-01-01 to 2017-12-31; 2020-01-10 to 2021-01-10), one return.
    assert returns.cases == 2
    assert returns.value == pytest.approx(1 / ((730 + 366) / 365.25))
    assert not returns.enough
    assert returns.used == 1 / 8  # Doncaster's eight years
    assert f"too few cases (fewer than {MIN_CASES}): uses 0.125 (Doncaster's trust: eight years)" in returns.text()
    share = found["commissioner_recommends_alternative_delivery"]
    assert (share.cases, share.value, share.used) == (2, 0.5, pytest.approx(9 / 13))
    nothing = found["lag report to alternative delivery decided"]
    assert (nothing.cases, nothing.value) == (0, None)
    assert "nothing on record, 0 cases; too few cases" in nothing.text()


def test_the_dfe_uses_the_record_s_rate_when_it_has_enough_cases() -> None:
    calibration = calibrate(OfstedImport(Path("none.csv")), (), NOTICES)
    dfe = DfEResponses(calibration)
    assert dfe._p_insufficient == pytest.approx(2 / 14)
    assert dfe._returns_per_day == pytest.approx(1 / 8 / 365.25)  # no trust on record: the fallback
    assert DfEResponses(calibration, p_insufficient=0.5)._p_insufficient == 0.5  # a sweep may set it


def test_a_world_model_takes_the_values_without_drawing_a_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each world model (one per sweep variant, `with_parameters`) reads the parameters' values; the 1,000-resample
    interval is for printing them (`calibrate`), and was drawn for every parameter of every world model before."""
    calibration = calibrate(OfstedImport(Path("none.csv")), (), {**NOTICES, **TRUSTS, **REPORTS})
    draws: list[int] = []
    real = parameters_module.bootstrap
    monkeypatch.setattr(parameters_module, "bootstrap", lambda *a: (draws.append(1), real(*a))[1])
    world = WorldModel.calibrated(calibration)
    variants = [with_parameters(world, {"p_alternative_delivery": share}) for share in (0.5, 0.9)]
    assert draws == []
    assert world.dfe._p_insufficient == pytest.approx(2 / 14)  # 5 notices: the record's rate
    assert world.dfe._p == pytest.approx(9 / 13)  # 2 reports: too few, the fallback
    assert world.dfe._returns_per_day == pytest.approx(1 / 8 / 365.25)  # 2 trusts: too few, the fallback
    assert [variant.dfe._p for variant in variants] == [0.5, 0.9]
    printed = {found.name: found for found in world_parameters(calibration)}
    assert draws  # the intervals printed are still drawn
    assert printed["insufficient_progress_per_review"].used == world.dfe._p_insufficient
    assert printed["commissioner_recommends_alternative_delivery"].used == world.dfe._p


# ------------------------------------------------------------------------------------------------------------------
# Scores (simulation/skill.py), by hand.


def test_crps_of_an_ensemble_and_of_a_point() -> None:
    # mean |x - 2| = 2/3; mean |X - X'| over the 9 ordered pairs = 8/9; CRPS = 2/3 - 4/9.
    assert crps([1, 2, 3], 2) == pytest.approx(2 / 9)
    assert crps([4], 10) == 6  # a point forecast: the absolute error
    assert interval_score(2, 5, 7, 0.1) == pytest.approx(3 + 20 * 2)
    assert interval_score(2, 5, 4, 0.1) == 3


def test_a_forecast_is_scored_against_persistence_and_climatology() -> None:
    scored = Scored.of(np.array([0, 0, 10, 10]), 10, persistence=4, climatology=8)
    assert (scored.p5, scored.p25, scored.p50, scored.p75, scored.p95) == (0, 0, 5, 10, 10)
    # mean |x - 10| = 5; mean |X - X'| = 8 pairs of 10 over 16 = 5; CRPS = 5 - 2.5.
    assert scored.crps == pytest.approx(2.5)
    assert (scored.crps_persistence, scored.crps_climatology, scored.interval_score_90) == (6, 2, 10)
    assert (scored.inside_50, scored.inside_90) == (True, True)
    missed = Scored.of(np.array([1, 1, 1, 1]), 3, persistence=3, climatology=2)
    assert (missed.inside_50, missed.inside_90, missed.crps) == (False, False, 2)
    found = summary([scored, missed])
    assert found == {
        "forecasts": 2, "coverage_50": 0.5, "coverage_90": 0.5, "width_50": 5.0, "width_90": 5.0,
        "crps": 2.25, "crps_persistence": 3.0, "crps_climatology": 1.5, "interval_score_90": 25.0,
        "skill_vs_persistence": 0.25, "skill_vs_climatology": -0.5,
    }  # fmt: skip
