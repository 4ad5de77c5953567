"""Which persistent or systemic failures of the national record the DfE regime in force expects a commissioner for.

Reads the graded inspections of `ofsted_inspections.csv` (`history.ofsted_csv`, read only; nothing is recorded).
For every inadequate judgement: whether it is systemic (DFE-03: every key judgement inadequate, as its framework
reads it), whether it is persistent (DFE-03: another inadequate judgement in the five years before it, among the
CSV's judgements), and the rule by which the DfE regime in force on its publication day expects a statutory
direction with a commissioner (`DfEInterventionPolicy.commissioner_rule`), if any. The CSV holds no pre-SIF
judgements, so persistence through a judgement before November 2013 (Sandwell 2015, RULES.md DFE-03 validation) is
not seen here. The question is the regime's track for the failure: a council already under a direction or in a
trust gets a continuation of it instead (DFE-08), which this count does not ask about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..aggregates.decisions import inspection_record
from ..history.ofsted_csv import OfstedImport, read_ofsted_csv
from ..policies.dfe_intervention import DfEInterventionPolicy
from ..policies.framework import framework_of_fact
from ..policies.reactions import CouncilView
from ..policies.registry import PolicyRegistry, default_registry


@dataclass(frozen=True)
class Failure:
    """One persistent or systemic inadequate judgement and what the regime in force expects for it."""

    council: str
    name: str
    published_on: dt.date
    systemic: bool
    persistent: bool
    policy_version: str | None  # None before the first DfE regime
    rule_id: str | None  # the rule expecting a commissioner, or None when the regime expects none


@dataclass(frozen=True)
class FailureTracks:
    failures: list[Failure]

    def expecting_commissioner(self) -> list[Failure]:
        return [failure for failure in self.failures if failure.rule_id is not None]

    def by_version(self) -> dict[str, tuple[int, int]]:
        """Per DfE regime: (persistent or systemic failures, of which a commissioner is expected)."""
        counts: dict[str, tuple[int, int]] = {}
        for failure in self.failures:
            total, expecting = counts.get(failure.policy_version or "none", (0, 0))
            counts[failure.policy_version or "none"] = (total + 1, expecting + (failure.rule_id is not None))
        return counts

    def text(self) -> str:
        expecting = self.expecting_commissioner()
        lines = [
            f"{len(self.failures)} persistent or systemic inadequate judgements "
            f"({sum(f.systemic for f in self.failures)} systemic, {sum(f.persistent for f in self.failures)} "
            f"persistent); {len(expecting)} expect a direction with a commissioner under the DfE regime in force"
        ]
        for version, (total, wanted) in self.by_version().items():
            lines.append(f"  {version}: {wanted} of {total}")
        for f in self.failures:
            kind = "; ".join(k for k, on in (("systemic", f.systemic), ("persistent", f.persistent)) if on)
            answer = f"commissioner expected ({f.rule_id})" if f.rule_id else "no commissioner expected"
            lines.append(f"{f.published_on} {f.name} ({f.council}) {kind}: {f.policy_version}, {answer}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "failures": [{**asdict(f), "published_on": f.published_on.isoformat()} for f in self.failures],
            "expecting_commissioner": len(self.expecting_commissioner()),
            "by_version": {v: {"failures": t, "expecting_commissioner": w} for v, (t, w) in self.by_version().items()},
        }


def failure_tracks(
    csv_path: Path, councils_path: Path | None = None, registry: PolicyRegistry | None = None
) -> FailureTracks:
    """The entry point: read the Ofsted CSV (and `councils.csv` beside it) and classify its failures."""
    return classify_failures(read_ofsted_csv(csv_path, councils_path), registry or default_registry())


def classify_failures(found: OfstedImport, registry: PolicyRegistry) -> FailureTracks:
    failures: list[Failure] = []
    for code, inspections in sorted(found.inspections.items()):
        records: list[dict[str, Any]] = []
        for fact in inspections:
            records.append(inspection_record(fact, records[-1] if records else None))
            framework = framework_of_fact(fact)
            if not framework.is_inadequate(fact.judgements):
                continue
            policy = _dfe_policy(registry.in_force(fact.occurred_on))
            view = CouncilView(code, {}, list(records))
            persistent = policy.is_persistent_failure(view, fact.occurred_on) if policy else False
            systemic = framework.is_systemic(fact.judgements)
            if not (persistent or systemic):
                continue
            rule = policy.commissioner_rule(persistent, systemic) if policy else None
            name = found.councils[code].name
            version = policy.version if policy else None
            failures.append(Failure(code, name, fact.occurred_on, systemic, persistent, version, rule))
    failures.sort(key=lambda failure: (failure.published_on, failure.council))
    return FailureTracks(failures)


def _dfe_policy(policies: Iterable[object]) -> DfEInterventionPolicy | None:
    return next((policy for policy in policies if isinstance(policy, DfEInterventionPolicy)), None)
