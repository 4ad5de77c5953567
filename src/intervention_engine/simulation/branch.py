"""What-if branches: a council's real history up to a day, copied into a sandbox and played differently
(DESIGN decision 10: a branch, never an edit).

`branch(engine, council, at=DATE)` names the fork: the council's stored events up to the end of that day (or up to
a stream version, when `at` is an int) are copied into a fresh in-memory engine with its own virtual clock, so the
branch reproduces the baseline exactly up to the fork and the stored history is never touched. On the branch you
can add facts, drop or replace the baseline's later facts, and change the policy (`policy="dfe-2016-07"`: the
2016 rules applied to every date); `run(until)` then plays it forward, the world model (`world.py`) supplying what
nobody scripted. What follows the fork:

- `keep="none"` (default): only the facts you add, and the world model;
- `keep="ofsted"`: the baseline's later Ofsted facts are replayed (its DfE facts are not), the DfE answers them under
  the branch's policy, and the world model's own inspections start after the last real report;
- `keep="all"`: every later baseline fact is replayed under the branch's policy (no world model).

A branch is a specification (facts, policy, seed, the world model's parameters); it is saved to and loaded from a
YAML or JSON file, and running it twice gives the same facts. A saved file also records what the answer depends on
outside the branch (`provenance.py`: the engine version, the calibration and its input files, the council's record
in the store); loading it checks each and refuses, naming what changed, rather than give another answer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..clock import VirtualClock
from ..engine import InterventionEngine
from ..errors import CouncilNotFound, InvalidFact
from ..facts import Fact, InspectionPublished, fact_to_data, parse_fact
from .calibration import Calibration
from .compare import Comparison, compare
from .forward import play_forward
from .montecarlo import registry_for
from .named_parameters import parameter_values, with_parameters
from .outcomes import OutcomesAfter
from .provenance import Provenance, calibration_of, digest, engine_version, facts_digest
from .start import council_as_of, events_until, start_of
from .world import WorldModel, council_rng, run_seeds

KEEPS: tuple[str, ...] = ("none", "ofsted", "all")
# The DfE's side of the record: what `keep="ofsted"` leaves to the world model under the branch's policy.
DFE_FACTS = frozenset(
    {"improvement_notice_issued", "improvement_notice_lifted", "statutory_direction_issued",
     "statutory_direction_revoked", "commissioner_appointed", "commissioner_reported", "progress_review_completed",
     "alternative_delivery_decided", "alternative_delivery_live", "alternative_delivery_ended",
     "support_and_supervision_ended"}
)  # fmt: skip


def stored_facts(engine: InterventionEngine, council: str, *, after: dt.date | None = None) -> list[Fact]:
    """The facts recorded for a council, in order, without those its policies recorded themselves when a timer
    fell due (such a fact follows its `TimerFired` on the same day and names its rule as its source)."""
    cid = engine.index.find(council)
    if cid is None:
        raise engine.index.not_found(council)
    facts: list[Fact] = []
    previous: Any = None
    events: Iterable[Any] = engine.store.events.get(cid)
    for event in events:
        data = getattr(event, "fact", None)
        automatic = (
            type(previous).__name__ == "TimerFired"
            and previous.occurred_on == event.occurred_on
            and str((data or {}).get("source", "")).startswith("rule ")
        )
        previous = event
        if data is None or automatic or (after is not None and event.occurred_on <= after.isoformat()):
            continue
        facts.append(parse_fact(data))
    return facts


@dataclass
class Branch:
    """A named what-if on one council: where it forks, what changes, under which policy, with which seed."""

    baseline: InterventionEngine
    council: str
    at: dt.date | int
    name: str = "what-if"
    policy: str | None = None
    seed: int = 0
    keep: str = "none"  # one of KEEPS
    world: WorldModel | None = None
    added: list[Fact] = field(default_factory=list)
    dropped: list[tuple[dt.date, str]] = field(default_factory=list)
    # The files the world's calibration was computed from (`RealRecord.sources`), recorded when the branch is saved.
    sources: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.keep not in KEEPS:
            raise ValueError(f"keep must be one of {', '.join(KEEPS)}, not {self.keep!r}")
        registry_for(self.policy)  # an unknown policy is refused now
        cid = self.baseline.index.find(self.council)
        if cid is None:
            raise self.baseline.index.not_found(self.council)
        self.council = self.baseline.index.codes[cid]
        self._cid = cid
        events = list(events_until(self.baseline, cid, self.at))
        if not events:
            raise CouncilNotFound(
                self.council, len(self.baseline.index.codes), later=f"on {self.at}: it was registered later"
            )
        self.fork_day = dt.date.fromisoformat(events[-1].occurred_on) if isinstance(self.at, int) else self.at

    # ------------------------------------------------------------------------------------------------------------
    # Changing the branch.

    def add(self, fact: Fact | Mapping[str, Any]) -> Branch:
        """A fact that happens on the branch (after the fork); it is recorded leniently, as a what-if may break the
        rules (a deviation says so)."""
        parsed = parse_fact(fact, where=f"branch {self.name!r}")
        if parsed.occurred_on < self.fork_day:
            raise InvalidFact(f"branch {self.name!r}: {parsed.describe()} on {parsed.occurred_on} is before the fork "
                              f"on {self.fork_day}")  # fmt: skip
        self.added.append(parsed)
        return self

    def drop(self, on: dt.date, fact_type: str) -> Branch:
        """Leave out the baseline's fact of this type on this day (with `keep="ofsted"` or `"all"`)."""
        if not any(f.occurred_on == on and f.describe() == fact_type for f in self.baseline_after()):
            raise InvalidFact(f"branch {self.name!r}: the baseline has no {fact_type} on {on} after the fork")
        self.dropped.append((on, fact_type))
        return self

    def replace(self, on: dt.date, fact_type: str, fact: Fact | Mapping[str, Any]) -> Branch:
        """The baseline's fact of this type on this day happens differently ("the re-inspection finds requires
        improvement", "the commissioner finds capacity to improve")."""
        return self.drop(on, fact_type).add(fact)

    def baseline_after(self) -> list[Fact]:
        """The baseline's facts after the fork, before drops."""
        return stored_facts(self.baseline, self.council, after=self.fork_day)

    # ------------------------------------------------------------------------------------------------------------
    # Running it.

    def sandbox(self) -> InterventionEngine:
        """A fresh in-memory engine holding the council's stored events up to the fork, and nothing else."""
        engine = InterventionEngine.in_memory(clock=VirtualClock(self.fork_day), policies=registry_for(self.policy))
        engine.store.save(*events_until(self.baseline, self._cid, self.at))
        return engine

    def run(self, until: dt.date) -> BranchRun:
        """Play the branch forward to the end of `until` in a new sandbox."""
        if until < self.fork_day:
            raise ValueError(f"branch {self.name!r} forks on {self.fork_day}; it cannot run to {until}")
        if self.keep == "all" and self.world is not None:
            raise ValueError("keep='all' replays every baseline fact: it takes no world model")
        engine = self.sandbox()
        kept = [f for f in self.baseline_after() if (f.occurred_on, f.describe()) not in self.dropped]
        if self.keep == "ofsted":
            kept = [f for f in kept if f.describe() not in DFE_FACTS]
        scripted = [f for f in [*(kept if self.keep != "none" else []), *self.added] if f.occurred_on <= until]
        if self.world is None:
            return BranchRun(self, engine, until, _replay(engine, self.council, scripted, until))
        world = self.world
        if self.keep == "ofsted":  # Ofsted's real reports first; the world's own only after the last of them
            last = max((f.occurred_on for f in kept if isinstance(f, InspectionPublished)), default=self.fork_day)
            world = replace(world, outcomes=OutcomesAfter(last.toordinal() + 1, world.outcomes))  # switches kept
        start = start_of(council_as_of(engine, self.council, self.fork_day), self.fork_day)
        rng = council_rng(run_seeds(self.seed, 1)[0], 0)
        return BranchRun(self, engine, until, play_forward(engine, start, until, world, rng, scripted=scripted))

    # ------------------------------------------------------------------------------------------------------------
    # Saving.

    def to_dict(self) -> dict[str, Any]:
        world = parameter_values(self.world) if self.world is not None else None
        return {
            "name": self.name,
            "council": self.council,
            "at": self.at if isinstance(self.at, int) else self.at.isoformat(),
            "policy": self.policy,
            "seed": self.seed,
            "keep": self.keep,
            "world": world,
            "facts": [fact_to_data(fact) for fact in self.added],
            "drop": [{"on": on.isoformat(), "type": kind} for on, kind in self.dropped],
        }

    def provenance(self) -> Provenance:
        """What this branch's answer depends on outside it, as it stands now."""
        calibration = calibration_of(self.world) if self.world is not None else None
        record = {"to_fork": facts_digest([e.fact for e in events_until(self.baseline, self._cid, self.at)
                                           if getattr(e, "fact", None) is not None])}  # fmt: skip
        if self.keep != "none":
            record["after_fork"] = facts_digest(self.baseline_after())
        return Provenance(
            engine_version(),
            digest(calibration.to_dict()) if calibration is not None else None,
            tuple(self.sources) if calibration is not None else (),
            record,
        )

    def save(self, path: Path) -> Path:
        """Write the branch as YAML (`.yaml`/`.yml`) or JSON (anything else), with its provenance."""
        data = {**self.to_dict(), "saved": self.provenance().to_dict()}
        if path.suffix in (".yaml", ".yml"):
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        else:
            text = json.dumps(data, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
        return path

    @staticmethod
    def read(path: Path) -> dict[str, Any]:
        """A branch file's contents, refused at once when it was saved by another version of the engine."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise InvalidFact(f"{path}: not a readable branch file: {error}") from None
        if not isinstance(data, dict):
            raise InvalidFact(f"{path}: a branch file is a mapping with at least `council` and `at`")
        Provenance.from_dict(data.get("saved"), where=str(path))
        return data

    @classmethod
    def load(
        cls, path: Path, baseline: InterventionEngine, calibration: Calibration | None = None,
        sources: Sequence[Mapping[str, str]] = (), *, contents: Mapping[str, Any] | None = None,
    ) -> Branch:  # fmt: skip
        """A branch saved by `save`, given the calibration it draws from (if it has a world model) and that
        calibration's input files (`RealRecord.sources`, so a difference can be named). Refused, naming what
        changed, unless the engine version, the calibration and the council's record are those it was saved with.
        `contents`: the file as `read` gave it, when the caller has read it already (it is not read again)."""
        data = contents if contents is not None else cls.read(path)
        saved = Provenance.from_dict(data.get("saved"), where=str(path))
        made = cls.from_dict(data, baseline, calibration, where=str(path))
        made.sources = [dict(item) for item in sources]
        saved.check(made.provenance(), where=str(path), council=made.council, fork=made.fork_day.isoformat())
        return made

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], baseline: InterventionEngine, calibration: Calibration | None = None,
        *, where: str = "branch",
    ) -> Branch:  # fmt: skip
        if not isinstance(data, Mapping) or "council" not in data or "at" not in data:
            raise InvalidFact(f"{where}: a branch file needs at least `council` and `at`")
        world = None
        if data.get("world") is not None:
            if calibration is None:
                raise InvalidFact(f"{where}: this branch uses the world model; give the calibration it draws from")
            if not isinstance(data["world"], Mapping):
                raise InvalidFact(f"{where}: `world` is the world model's parameters by name, or null")
            try:
                world = with_parameters(WorldModel.calibrated(calibration), data["world"], where=f"{where}: world")
            except (ValueError, TypeError) as error:
                raise InvalidFact(str(error)) from None
        at = data["at"] if isinstance(data["at"], int) else dt.date.fromisoformat(str(data["at"]))
        made = cls(baseline, str(data["council"]), at, name=str(data.get("name", "what-if")), policy=data.get("policy"),
                   seed=int(data.get("seed", 0)), keep=data.get("keep", "none"), world=world)  # fmt: skip
        for index, fact in enumerate(data.get("facts") or ()):
            made.add(parse_fact(fact, where=f"{where}: facts[{index}]"))
        for drop in data.get("drop") or ():
            made.drop(dt.date.fromisoformat(str(drop["on"])), str(drop["type"]))
        return made


@dataclass
class BranchRun:
    """A branch played to a day: its sandbox engine and the facts recorded after the fork."""

    branch: Branch
    engine: InterventionEngine
    until: dt.date
    facts: list[Fact]

    def to_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch.to_dict(),
            "until": self.until.isoformat(),
            "facts": [fact_to_data(fact) for fact in self.facts],
        }

    def compare(self, baseline_label: str = "baseline") -> Comparison:
        """This branch against the stored history, from the fork to `until`."""
        b = self.branch
        return compare(
            (baseline_label, b.baseline), (b.name, self.engine), b.council, start=b.fork_day, until=self.until
        )


def branch(
    engine: InterventionEngine,
    council: str,
    *,
    at: dt.date | int,
    name: str = "what-if",
    policy: str | None = None,
    seed: int = 0,
    keep: str = "none",
    world: WorldModel | None = None,
) -> Branch:
    """Fork a council's stored history at the end of a day (or after a stream version)."""
    return Branch(engine, council, at, name=name, policy=policy, seed=seed, keep=keep, world=world)


def _replay(engine: InterventionEngine, council: str, facts: Iterable[Fact], until: dt.date) -> list[Fact]:
    recorded = []
    for fact in sorted(facts, key=lambda f: f.occurred_on):
        engine.record(council, fact, strict=False)
        recorded.append(fact)
    engine.advance_to(until + dt.timedelta(days=1))
    return recorded
