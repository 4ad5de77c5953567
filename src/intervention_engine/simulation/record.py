"""The real record a simulation starts from: the national Ofsted CSV, the DfE register, research timelines and the
scenario files, read once (the sources `history.national` gathers and merges).

It replays into an in-memory engine (the national replay of `history.national`), calibrates the world model on
every council's merged facts, and counts what really happened for backtests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..clock import VirtualClock
from ..engine import InterventionEngine
from ..facts import Fact
from ..history.council_names import CouncilDirectory
from ..history.national import CouncilSources, gather, replay_record
from ..history.ofsted_csv import OfstedImport, read_ofsted_csv, require_file
from ..history.register import RegisterImport, read_register
from ..history.scenario import Scenario, load_scenario
from ..history.timelines import TimelineImport, read_timeline
from .calibration import Calibration, calibrate
from .provenance import file_digest


@dataclass
class RealRecord:
    """The national record: every graded inspection, and the councils whose DfE history is in scenario files."""

    ofsted: OfstedImport
    scenarios: list[Scenario] = field(default_factory=list)
    _calibration: Calibration | None = field(default=None, repr=False)
    register: RegisterImport | None = None
    timelines: list[TimelineImport] = field(default_factory=list)
    # The files read, in order: role ("ofsted_csv", "councils_csv", "scenario"), path and SHA-256 (a saved branch
    # records them, so it can name the input that changed).
    sources: list[dict[str, str]] = field(default_factory=list)
    _gathered: dict[str, CouncilSources] | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        ofsted_csv: Path,
        scenarios: Sequence[Path] = (),
        councils_csv: Path | None = None,
        *,
        register: Path | None = None,
        timelines: Sequence[Path] = (),
    ) -> RealRecord:
        """Read and check every input (nothing is recorded anywhere); the council identity table (`councils_csv`, by
        default beside the Ofsted CSV) is read once, and every source finds its councils in it."""
        require_file(ofsted_csv)  # a mistyped CSV is named as such, not as a missing councils.csv beside it
        councils = councils_csv or ofsted_csv.with_name("councils.csv")  # read_ofsted_csv's default
        directory = CouncilDirectory.from_csv(councils)
        files = [
            ("ofsted_csv", ofsted_csv),
            ("councils_csv", councils),
            *(("scenario", path) for path in scenarios),
            *(("dfe_register", path) for path in ([register] if register is not None else [])),
            *(("timeline", path) for path in timelines),
        ]
        record = cls(
            read_ofsted_csv(ofsted_csv, directory),
            [load_scenario(path) for path in scenarios],
            register=read_register(register, directory) if register is not None else None,
            timelines=[read_timeline(path, directory) for path in timelines],
        )
        record.sources = [{"role": role, "path": str(path), "sha256": file_digest(path)} for role, path in files]
        return record

    def gathered(self) -> dict[str, CouncilSources]:
        """Every council's sources (`history.national.gather`), gathered once and merged once for every calibration
        and replay of the record."""
        if self._gathered is None:
            self._gathered = gather(self.scenarios, self.timelines, self.register, self.ofsted)
        return self._gathered

    def histories(self) -> dict[str, list[Fact]]:
        """Every council's facts from every source, merged as the national replay merges them, by council code."""
        return {code: list(sources.merged().facts) for code, sources in self.gathered().items()}

    def calibration(self) -> Calibration:
        if self._calibration is None:
            self._calibration = calibrate(self.ofsted, self.scenarios, self.histories())
        return self._calibration

    def replay(self, until: dt.date, progress: Callable[[str], None] | None = None) -> InterventionEngine:
        """An in-memory engine holding the record up to the end of `until`."""
        engine = InterventionEngine.in_memory(clock=VirtualClock(dt.date(2000, 1, 1)))
        replay_record(
            engine, scenarios=self.scenarios, timelines=self.timelines, register=self.register, ofsted=self.ofsted,
            until=until + dt.timedelta(days=1), progress=progress, gathered=self.gathered(),
        )  # fmt: skip
        return engine
