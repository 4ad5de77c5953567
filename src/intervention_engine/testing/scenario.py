"""Given, when, then: one council on a virtual clock under the policies you give, for testing policies (yours too).

    scenario = PolicyScenario(with_policy(MY_2027_POLICY), start=dt.date(2026, 6, 1))
    scenario.given(inspection_fact, ...)         # facts that already happened, each recorded on its own date
    scenario.when({"type": "statutory_direction_issued", "occurred_on": "2027-02-10", "commissioner_review": True})
    scenario.then(stage="commissioner_review", timers={"commissioner_report_due": "2027-04-10"})
    scenario.travel_to(dt.date(2027, 5, 1))      # time travel: every timer due before the day fires
    scenario.then(deviations=[{"kind": "...", "how": "missed"}])

Before each fact the virtual clock moves to the fact's date (timers due before it fire first, as in the world), and
facts are recorded strictly: a move the rulebook forbids fails the test at once. `then` compares only what it is
given, each part exactly (a timer or expectation not named is a difference), and on any difference raises
`ScenarioMismatch`, an `AssertionError` whose message lists every difference and then the council's timeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..aggregates.reacting import EXPECTATION_DEADLINE
from ..clock import VirtualClock
from ..engine import InterventionEngine
from ..facts import Fact, parse_fact
from ..policies.inspection_cycle import InspectionCyclePolicy
from ..policies.reactions import Policy
from ..policies.registry import PolicyRegistry, default_registry
from ..results import CouncilStatus, TimerFiring


class ScenarioMismatch(AssertionError):
    """What a `then` expected and what the engine holds, differing; the message ends with the timeline."""


def with_policy(policy: Policy, *, from_date: dt.date | None = None) -> PolicyRegistry:
    """The real policies, and `policy` in force from `from_date` (default: its regime's `in_force_from`) with
    Ofsted's inspection cycle, replacing the DfE regime of the day as a new DfE era does."""
    start = from_date or getattr(getattr(policy, "regime", None), "in_force_from", None)
    if start is None:
        raise ValueError(f"policy {policy.version!r} has no regime date: give from_date")
    return default_registry().with_era(start, [InspectionCyclePolicy(), policy])


class PolicyScenario:
    """One council, registered on `start`, on an in-memory engine with its own virtual clock."""

    def __init__(
        self,
        policies: PolicyRegistry | None = None,
        *,
        start: dt.date,
        council: str = "900",
        name: str = "Testshire",
    ) -> None:
        self.council = council
        self.engine = InterventionEngine.in_memory(clock=VirtualClock(start), policies=policies)
        self.engine.record(None, {"type": "council_registered", "occurred_on": start.isoformat(), "code": council,
                                  "name": name})  # fmt: skip
        self.fired: list[TimerFiring] = []

    @property
    def today(self) -> dt.date:
        clock = self.engine.clock
        assert isinstance(clock, VirtualClock)
        return clock.today()

    # ------------------------------------------------------------------------------------------------------------
    # Given and when.

    def given(self, *facts: Fact | Mapping[str, Any]) -> PolicyScenario:
        """Record facts in order, each on its own date (the clock moves there first)."""
        for fact in facts:
            parsed = parse_fact(fact, where="given")
            if parsed.occurred_on > self.today:
                self.travel_to(parsed.occurred_on)
            self.engine.record(self.council, parsed, strict=True)
        return self

    def when(self, *facts: Fact | Mapping[str, Any]) -> PolicyScenario:
        """The fact(s) under test, recorded as `given` records them."""
        return self.given(*facts)

    def travel_to(self, day: dt.date) -> list[TimerFiring]:
        """Move the virtual clock to `day`: every timer due before it fires, in date order; returns those fired."""
        fired = self.engine.advance_to(day)
        self.fired += fired
        return fired

    # ------------------------------------------------------------------------------------------------------------
    # Then.

    def state(self) -> CouncilStatus:
        return self.engine.state(self.council)

    def then(
        self,
        *,
        stage: str | None = None,
        states: Mapping[str, str] | None = None,
        timers: Mapping[str, str | Sequence[str]] | None = None,
        expectations: Mapping[str, str | Mapping[str, Any]] | None = None,
        deviations: Sequence[Mapping[str, Any]] | None = None,
        only: str | None = None,
    ) -> PolicyScenario:
        """Check the council today. `timers`: pending timers other than expectations' deadlines, kind → due day
        (a list when several of a kind are pending). `expectations`: open expectations, kind → due day, or kind →
        the fields to check. `deviations`: every deviation recorded, in order, each compared on the fields given.
        `only`: timers, expectations and deviations of one rule ("DFE-05", not DFE-05a) or family ("DFE": the DfE's
        rules, not Ofsted's)."""
        __tracebackhide__ = True  # pytest shows the difference and the timeline, not the kit's own lines
        status = self.state()
        if only is not None:
            status = _of_rules(status, only)
        problems: list[str] = []
        if stage is not None and status.stage != stage:
            problems.append(f"stage is {status.stage!r}, expected {stage!r}")
        for region, wanted in (states or {}).items():
            if status.states.get(region) != wanted:
                problems.append(f"{region} is {status.states.get(region)!r}, expected {wanted!r}")
        if timers is not None:
            problems += _differences("timers", _pending(status), {k: _listed(v) for k, v in timers.items()})
        if expectations is not None:
            problems += _expectations(status, expectations)
        if deviations is not None:
            problems += _deviations(status.deviations, deviations)
        if problems:
            raise ScenarioMismatch(self._explain(problems))
        return self

    def timeline_text(self) -> str:
        """The council's stored events in words, one a line, with the stage after each."""
        lines = []
        for entry in self.engine.timeline(self.council):
            stage = f"  [{entry.stage}]" if entry.stage else ""
            lines.append(f"  {entry.occurred_on}  {entry.event:<24}{entry.summary}{stage}")
        return "\n".join(lines)

    def _explain(self, problems: list[str]) -> str:
        head = f"then, on {self.today} for council {self.council}:"
        return "\n".join([head, *(f"  - {p}" for p in problems), "timeline:", self.timeline_text()])


def _of_rules(status: CouncilStatus, prefix: str) -> CouncilStatus:
    def mine(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            item for item in items if item.get("rule_id") == prefix or str(item.get("rule_id")).startswith(f"{prefix}-")
        ]

    return dataclasses.replace(
        status,
        pending_timers=mine(status.pending_timers),
        open_expectations=mine(status.open_expectations),
        deviations=mine(status.deviations),
    )


def _listed(value: str | Sequence[str]) -> list[str]:
    return sorted([value] if isinstance(value, str) else value)


def _pending(status: CouncilStatus) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for timer in status.pending_timers:
        if timer["kind"] != EXPECTATION_DEADLINE:  # an expectation's own timer: `then(expectations=...)` checks it
            found.setdefault(timer["kind"], []).append(str(timer["due_on"]))
    return {kind: sorted(days) for kind, days in found.items()}


def _differences(what: str, actual: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    problems = [f"{what}: {key} is {actual[key]!r}, expected {value!r}"
                for key, value in wanted.items() if key in actual and actual[key] != value]  # fmt: skip
    problems += [f"{what}: no {key} (expected {value!r})" for key, value in wanted.items() if key not in actual]
    problems += [f"{what}: {key} {value!r} was not expected" for key, value in actual.items() if key not in wanted]
    return problems


def _expectations(status: CouncilStatus, wanted: Mapping[str, str | Mapping[str, Any]]) -> list[str]:
    open_ = {e["kind"]: e for e in status.open_expectations}
    problems = [f"expectations: {kind} (due {open_[kind]['due_on']}, {open_[kind]['rule_id']}) was not expected"
                for kind in open_ if kind not in wanted]  # fmt: skip
    for kind, fields in wanted.items():
        if kind not in open_:
            problems.append(f"expectations: no {kind} open")
            continue
        checks = {"due_on": fields} if isinstance(fields, str) else fields
        problems += _differences(f"expectations: {kind}", {k: open_[kind].get(k) for k in checks}, checks)
    return problems


def _deviations(actual: Sequence[Mapping[str, Any]], wanted: Sequence[Mapping[str, Any]]) -> list[str]:
    if len(actual) != len(wanted):
        found = "; ".join(f"{d['kind']} {d['how']} ({d['rule_id']})" for d in actual) or "none"
        return [f"deviations: {len(actual)} recorded, expected {len(wanted)} (recorded: {found})"]
    problems = []
    for number, (deviation, fields) in enumerate(zip(actual, wanted, strict=True), start=1):
        problems += _differences(f"deviation {number}", {k: deviation.get(k) for k in fields}, fields)
    return problems
