"""The real record a simulation starts from: the national Ofsted CSV and the scenario files, read once.

It replays into an in-memory engine (the national replay of `history.national`), calibrates the world model, and
counts what really happened (councils judged inadequate per year) for backtests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..clock import VirtualClock
from ..engine import InterventionEngine
from ..history.national import replay_record
from ..history.ofsted_csv import OfstedImport, read_ofsted_csv
from ..history.scenario import Scenario, load_scenario
from ..policies.framework import framework_of_fact
from .calibration import Calibration, calibrate
from .provenance import file_digest


@dataclass
class RealRecord:
    """The national record: every graded inspection, and the councils whose DfE history is in scenario files."""

    ofsted: OfstedImport
    scenarios: list[Scenario] = field(default_factory=list)
    _calibration: Calibration | None = field(default=None, repr=False)
    # The files read, in order: role ("ofsted_csv", "councils_csv", "scenario"), path and SHA-256 (a saved branch
    # records them, so it can name the input that changed).
    sources: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def load(cls, ofsted_csv: Path, scenarios: Sequence[Path] = (), councils_csv: Path | None = None) -> RealRecord:
        """Read and check every input (nothing is recorded anywhere)."""
        councils = councils_csv or ofsted_csv.with_name("councils.csv")  # read_ofsted_csv's default
        files = [("ofsted_csv", ofsted_csv), ("councils_csv", councils), *(("scenario", path) for path in scenarios)]
        record = cls(read_ofsted_csv(ofsted_csv, councils_csv), [load_scenario(path) for path in scenarios])
        record.sources = [{"role": role, "path": str(path), "sha256": file_digest(path)} for role, path in files]
        return record

    def calibration(self) -> Calibration:
        if self._calibration is None:
            self._calibration = calibrate(self.ofsted, self.scenarios)
        return self._calibration

    def replay(self, until: dt.date, progress: Callable[[str], None] | None = None) -> InterventionEngine:
        """An in-memory engine holding the record up to the end of `until`."""
        engine = InterventionEngine.in_memory(clock=VirtualClock(dt.date(2000, 1, 1)))
        replay_record(
            engine, scenarios=self.scenarios, ofsted=self.ofsted, until=until + dt.timedelta(days=1), progress=progress
        )
        return engine

    def inadequate_by_year(self, first: int, last: int) -> dict[int, int]:
        """Councils judged inadequate in a report published in each year (ILACS-11: as each report's framework
        defines it), from the CSV."""
        found: dict[int, set[str]] = {year: set() for year in range(first, last + 1)}
        for code, inspections in self.ofsted.inspections.items():
            for inspection in inspections:
                year = inspection.occurred_on.year
                if year in found and framework_of_fact(inspection).is_inadequate(inspection.judgements):
                    found[year].add(code)
        return {year: len(codes) for year, codes in found.items()}
