"""Calibration on the real record reproduces the figures RULES.md quotes from the same data [data]."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from intervention_engine.cli import app
from intervention_engine.history.ofsted_csv import read_ofsted_csv
from intervention_engine.history.scenario import load_scenario
from intervention_engine.simulation.calibration import Calibration, calibrate

from shared_data import OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def calibration() -> Calibration:
    scenarios = [load_scenario(path) for path in sorted((ROOT / "scenarios").glob("*.yaml"))]
    return calibrate(read_ofsted_csv(OFSTED_CSV), scenarios)


def test_publication_lags_match_ilacs10(calibration: Calibration) -> None:
    ilacs, sif = calibration.publication_lag["ilacs"], calibration.publication_lag["sif"]
    assert (ilacs.median, ilacs.p90) == (42, 66)  # ILACS-10: median 42 days, p90 66
    assert (sif.median, sif.p90) == (50, 68)  # ILACS-10: SIF median 50, p90 68
    assert ilacs.n + sif.n == 488  # every graded inspection


@pytest.mark.parametrize(("grade", "median"), [("good", 1520.5), ("requires_improvement", 1461), ("outstanding", 1631)])
def test_intervals_to_the_next_inspection_match_ilacs04(calibration: Calibration, grade: str, median: float) -> None:
    assert calibration.intervals[grade].median == median  # ILACS-04: 1,520 / 1,461 / 1,631 days


def test_transitions_are_counts_that_sum_to_every_reinspection(calibration: Calibration) -> None:
    total = sum(sum(row.values()) for rows in calibration.transitions.values() for row in rows.values())
    first = sum(sum(row.values()) for row in calibration.first_grades.values())
    assert total + first == 488
    after_inadequate = calibration.transition_probabilities("ilacs", "inadequate")
    assert after_inadequate["requires_improvement"] > after_inadequate["inadequate"]
    assert sum(after_inadequate.values()) == pytest.approx(1.0)


def test_dfe_lags_come_from_the_scenarios(calibration: Calibration) -> None:
    assert "Kirklees: 0" in calibration.dfe_examples["inadequate_to_instrument"]  # direction the same day
    assert calibration.dfe_lags["inadequate_to_instrument"].n >= 1


def test_calibrate_command_is_reproducible(tmp_path: Path) -> None:
    outputs = []
    for name in ("first.json", "second.json"):
        result = CliRunner().invoke(
            app, ["calibrate", "--ofsted-csv", str(OFSTED_CSV), str(ROOT / "scenarios" / "kirklees.yaml"),
                  "--out", str(tmp_path / name), "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["publication_lag"]["ilacs"]["median"] == 42


def test_calibrate_names_the_fallback_of_every_dfe_parameter_the_csv_alone_cannot_give() -> None:
    # The CSV holds no DfE fact: every DfE parameter has no case and uses its fallback (RULES.md's figures).
    result = CliRunner().invoke(app, ["calibrate", "--ofsted-csv", str(OFSTED_CSV), "--json"])
    assert result.exit_code == 0, result.output
    found = {p["name"]: p for p in json.loads(result.stdout)["world_parameters"]}
    assert {p["cases"] for p in found.values()} == {0}
    assert not any(p["enough_cases"] for p in found.values())
    assert found["lag inadequate to instrument"]["used"] == 30  # DFE-03a
    assert found["insufficient_progress_per_review"]["used"] == pytest.approx(1 / 6)  # Bradford
    assert found["services_return_per_year"]["used"] == 1 / 8  # Doncaster
    assert found["commissioner_recommends_alternative_delivery"]["used"] == pytest.approx(9 / 13)
    text = CliRunner().invoke(app, ["calibrate", "--ofsted-csv", str(OFSTED_CSV)])
    assert "World model parameters" in text.stdout
    assert "uses the fallback named" in text.stdout
