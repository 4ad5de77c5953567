"""What a saved branch's answer depends on, written beside it and checked when it is loaded (issue 12).

The branch itself (fork, facts, drops, policy, seed, `keep`, the world model's parameters) is its specification.
Its answer also depends on things outside it, which a branch file records under `saved`:

- the version of intervention_engine that wrote it (the rules and the world model are the code's);
- the calibration the world model draws from: its SHA-256, and the files it was computed from (role, path and
  SHA-256 of the Ofsted CSV and each scenario file), so a refusal can name the input that differs;
- the council's record in the store it forks: the number of facts and their SHA-256 up to the fork, and after the
  fork when the branch replays the baseline's later facts (`keep` "ofsted" or "all").

Loading compares each with what is given now and refuses with one line naming the first difference, so a branch
reloaded either gives the answer it gave when saved or says why it cannot.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..errors import InvalidFact
from ..facts import Fact, fact_to_data
from .calibration import Calibration


def engine_version() -> str:
    """The installed version of intervention_engine."""
    try:
        return version("intervention_engine")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "unknown"


def digest(data: Any) -> str:
    """SHA-256 of data as canonical JSON (sorted keys), so equal data always gives the same digest."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def facts_digest(facts: Sequence[Fact | Mapping[str, Any]]) -> dict[str, Any]:
    """How many facts, and their digest (facts as recorded data)."""
    data = [fact if isinstance(fact, Mapping) else fact_to_data(fact) for fact in facts]
    return {"facts": len(data), "sha256": digest(data)}


def calibration_of(world: Any) -> Calibration | None:
    """The calibration a world model draws from (found among its fields, wherever it sits)."""
    if isinstance(world, Calibration):
        return world
    if dataclasses.is_dataclass(world) and not isinstance(world, type):
        for f in dataclasses.fields(world):
            found = calibration_of(getattr(world, f.name))
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class Provenance:
    """The `saved` block of a branch file."""

    engine: str
    calibration: str | None  # SHA-256 of the calibration, or None without a world model
    inputs: tuple[Mapping[str, str], ...]  # role, path, sha256 of each file the calibration was computed from
    record: Mapping[str, Mapping[str, Any]]  # "to_fork" / "after_fork" → facts, sha256

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "calibration": self.calibration,
            "inputs": [dict(item) for item in self.inputs],
            "record": {part: dict(values) for part, values in self.record.items()},
        }

    @classmethod
    def from_dict(cls, data: Any, *, where: str) -> Provenance:
        """The saved block, refused at once when it is missing or from another version of the engine."""
        if not isinstance(data, Mapping) or "engine" not in data:
            raise InvalidFact(f"{where}: saved by an earlier version of intervention_engine (no engine version in it); "
                              f"save the branch again with version {engine_version()}")  # fmt: skip
        if data["engine"] != engine_version():
            raise InvalidFact(
                f"{where}: saved by intervention_engine {data['engine']}, this is {engine_version()}; its answer may "
                "differ, so it is not replayed: save the branch again with this version"
            )
        return cls(
            str(data["engine"]), data.get("calibration"), tuple(data.get("inputs") or ()), data.get("record") or {}
        )

    def check(self, now: Provenance, *, where: str, council: str, fork: str) -> None:
        """Refuse, naming what changed, unless `now` (what is given to the loaded branch) matches what was saved."""
        for part, words in (("to_fork", f"up to the fork on {fork}"), ("after_fork", f"after the fork on {fork}")):
            then, current = self.record.get(part), now.record.get(part)
            if then is not None and then != current:
                counts = f"{then['facts']} facts then, {current['facts'] if current else 0} now"
                raise InvalidFact(f"{where}: the record of council {council} {words} is not the one the branch was "
                                  f"saved from ({counts}); load it against the store it was saved from")  # fmt: skip
        if self.calibration != now.calibration:
            raise InvalidFact(f"{where}: {_calibration_change(self, now)}; the world model would draw differently")


def _calibration_change(then: Provenance, now: Provenance) -> str:
    """Which calibration input differs: by role and file name (paths may be given from another folder)."""
    if then.calibration is None or now.calibration is None:
        return "the branch was saved without a world model" if then.calibration is None else "no calibration given"

    def keyed(inputs: Sequence[Mapping[str, str]]) -> dict[tuple[str, str], str]:
        return {(item["role"], Path(item["path"]).name): item["sha256"] for item in inputs}

    saved, given = keyed(then.inputs), keyed(now.inputs)
    digests = f"(sha256 {then.calibration[:12]} then, {now.calibration[:12]} now)"
    if not now.inputs:
        return f"the calibration given is not the branch's {digests}"
    for (role, name), sha in saved.items():
        if (role, name) not in given:
            return f"the branch was calibrated with {role} {name}, which is not given now"
        if given[(role, name)] != sha:
            now_sha = given[(role, name)]
            return f"{role} {name} has changed since the branch was saved (sha256 {sha[:12]} then, {now_sha[:12]} now)"
    extra = next(iter(set(given) - set(saved)), None)
    if extra is not None:
        return f"{extra[0]} {extra[1]} is given now but the branch was calibrated without it"
    return f"the calibration computed from the same inputs differs {digests}"
