"""Counterfactual policy replay: the real record replayed under another policy (DESIGN decisions 8 and 10).

Every stored fact of every council (or of the councils named) is recorded again, in a sandbox, under one DfE
regime applied to every date (`registry_with`), leniently. The facts are the same; the expectations the policy
opens, and so the deviations, are those the other rules would have produced. For example, under the 2016 rules
(`dfe-2016-07`) which councils would have been expected to get a commissioner in 2014-15, and did not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..clock import VirtualClock
from ..engine import InterventionEngine
from ..facts import CouncilRegistered
from .branch import stored_facts
from .montecarlo import registry_for
from .start import council_as_of


@dataclass(frozen=True)
class CouncilCounterfactual:
    """One council: what each policy expected within the period, and the deviations each found there."""

    council: str
    name: str
    expected: list[dict[str, Any]]  # under the other policy
    expected_in_fact: list[dict[str, Any]]  # under the policies in force
    deviations: list[dict[str, Any]]
    deviations_in_fact: list[dict[str, Any]]

    def expected_kinds(self) -> set[str]:
        return {e["kind"] for e in self.expected}

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Counterfactual:
    policy: str
    since: dt.date
    until: dt.date
    councils: list[CouncilCounterfactual]

    def expecting(self, kind: str, *, only_new: bool = False) -> list[CouncilCounterfactual]:
        """Councils the other policy expected `kind` of in the period (`only_new`: and the real policy did not)."""
        return [
            c
            for c in self.councils
            if kind in c.expected_kinds() and not (only_new and kind in {e["kind"] for e in c.expected_in_fact})
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "councils": [c.to_dict() for c in self.councils if c.expected or c.expected_in_fact or c.deviations],
        }

    def text(self, kind: str | None = None) -> str:
        lines = [f"The record from {self.since} to {self.until} under {self.policy} (against the policies in force)"]
        for c in self.councils:
            expected = [e for e in c.expected if kind is None or e["kind"] == kind]
            if not expected:
                continue
            real = {(e["kind"], e["opened_on"]) for e in c.expected_in_fact}
            lines.append(f"{c.name} ({c.council})")
            for e in expected:
                also = "also in fact" if (e["kind"], e["opened_on"]) in real else "NOT expected in fact"
                lines.append(f"  {e['opened_on']} {e['rule_id']} {e['expected']} [{e['status']}; {also}]")
        return "\n".join(lines)


def counterfactual(
    baseline: InterventionEngine,
    policy: str,
    *,
    since: dt.date,
    until: dt.date,
    councils: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Counterfactual:
    """Replay the stored facts under `policy` and set its expectations and deviations beside the real ones."""
    sandbox = InterventionEngine.in_memory(clock=VirtualClock(since), policies=registry_for(policy))
    codes = list(dict.fromkeys(councils)) if councils else [code for code, _ in baseline.councils()]
    replayed: list[str] = []
    try:
        for code in codes:
            facts = stored_facts(baseline, code)
            registration = facts[0]
            assert isinstance(registration, CouncilRegistered)
            if registration.occurred_on > until:
                continue  # not yet on record in the period
            sandbox.record(None, registration)
            replayed.append(registration.code)
            for fact in facts[1:]:
                if fact.occurred_on <= until:
                    sandbox.record(registration.code, fact, strict=False)
            if progress is not None:
                progress(code)
        sandbox.advance_to(until + dt.timedelta(days=1))
        found = [_council(baseline, sandbox, code, since, until) for code in replayed]
    finally:
        sandbox.close()
    return Counterfactual(policy, since, until, found)


def _council(
    baseline: InterventionEngine, sandbox: InterventionEngine, code: str, since: dt.date, until: dt.date
) -> CouncilCounterfactual:
    other, real = council_as_of(sandbox, code, until), council_as_of(baseline, code, until)
    first, last = since.isoformat(), until.isoformat()

    def expected(council: Any) -> list[dict[str, Any]]:
        return [
            {k: e[k] for k in ("kind", "rule_id", "policy_version", "expected", "opened_on", "due_on", "status")}
            for e in sorted(council.expectations.values(), key=lambda e: e["seq"])
            if first <= e["opened_on"] <= last
        ]

    def deviations(council: Any) -> list[dict[str, Any]]:
        return [d for d in council.deviations if first <= d["occurred_on"] <= last]

    return CouncilCounterfactual(
        other.code, other.name, expected(other), expected(real), deviations(other), deviations(real)
    )
