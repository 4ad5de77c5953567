"""The real record (`simulation.RealRecord`) gathers its sources and merges each council's facts once, whatever it is
asked afterwards: the calibration and every replay (a backtest replays it at each origin and at the end) read the
same merged facts."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from intervention_engine.history import national
from intervention_engine.simulation import RealRecord, record

from shared_data import DATA, OFSTED_CSV

ROOT = Path(__file__).resolve().parents[1]
KIRKLEES_URN, BARNET_URN = "80478", "80487"


def counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, calls: list[str]) -> None:
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)


def test_the_record_is_gathered_and_merged_once_for_its_calibration_and_every_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The national CSV's reports of Kirklees and Barnet, and Kirklees's scenario file: two councils, Kirklees from
    # two sources (merged), Barnet from the CSV alone.
    lines = OFSTED_CSV.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = [line for line in lines[1:] if line.startswith((f"{KIRKLEES_URN},", f"{BARNET_URN},"))]
    csv = tmp_path / "ofsted_inspections.csv"
    csv.write_text(lines[0] + "".join(rows), encoding="utf-8")
    shutil.copy(DATA / "councils.csv", tmp_path / "councils.csv")
    real = RealRecord.load(csv, [ROOT / "scenarios" / "kirklees.yaml"])
    calls: list[str] = []
    for module in (national, record):
        counting(monkeypatch, module, "gather", calls)
    counting(monkeypatch, national, "merge_sources", calls)
    real.calibration()
    engines = [real.replay(dt.date(2017, 1, 1)), real.replay(dt.date(2020, 1, 1))]
    # Before: gathered three times (the calibration, each replay) and merged six times (twice per gathering).
    assert sorted(calls) == ["gather", "merge_sources", "merge_sources"]
    assert [code for code, _ in engines[0].councils()] == [code for code, _ in engines[1].councils()] == ["302", "382"]
    assert engines[0].state("382").stage == "commissioner_review"  # the direction of 25 November 2016
    assert engines[1].state("382").stage == "partner_council"  # services with Leeds from 25 January 2018
    for engine in engines:
        engine.close()
