"""The kernel's tables, computed from the engine's own rulebook and policies (never written by hand).

- **Moves**: for every combination of the four regions' states (192) and every fact the world can produce, where
  `Rulebook.rule` leads, or -1 when it refuses the move; and the stage `derive_stage` reads from each combination.
- **Reactions**: what the policies in force do after a fact, asked of the policies themselves with a synthetic
  council (`CouncilView`): the expectations they open (kind, deadline in months, patterns), the kinds they withdraw,
  and what they do to the two timers that move a stage or prompt the world (`commissioner_report_due`,
  `support_and_supervision_ends`). Asked once per situation and remembered.
- **Patterns**: whether each fact meets or contradicts each expectation (`aggregates.expectations.matches_any`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..aggregates.decisions import decide_details, inspection_record
from ..aggregates.expectations import matches_any
from ..calendar import WorkingDayCalendar, add_months, months_between
from ..facts import Fact, InspectionPublished, fact_to_data
from ..policies.reactions import CouncilView, Policy
from ..policies.registry import PolicyRegistry
from ..policies.rulebook import INTERVENTION_STAGES, OUT_OF_COUNCIL_STAGES, REGIONS, STAGES, Rulebook, derive_stage
from .outcomes import GRADES, INADEQUATE, PlannedInspection, inspection_fact
from .start import CouncilStart
from .world import ACTIONS, ADM_LIVE, REVIEW_TIMERS, action_fact

REGION_NAMES: tuple[str, ...] = ("judgement", "instrument", "delivery", "supervision")
ADM_LIVE_PARTNER = ACTIONS  # alternative delivery going live with a partner council (the guard reads details)
FIRST_INSPECTION = ACTIONS + 1
INSPECTION_VARIANTS = 16  # grade (4) x systemic (2) x without an overall grade (2)
VARIANTS = FIRST_INSPECTION + INSPECTION_VARIANTS
# Timers that move a stage or prompt the world, in the kernel's slot order (kernel.REPORT, SUPERVISION, REVIEW, CHECK).
TRACKED_TIMERS = ("commissioner_report_due", "support_and_supervision_ends", *REVIEW_TIMERS)

_BASE = dt.date(2019, 6, 15)  # a day that add_months never clamps
_BASE_UNGRADED = dt.date(2026, 6, 15)


def inspection_variant(grade: int, systemic: bool, ungraded: bool) -> int:
    return FIRST_INSPECTION + (grade * 2 + systemic) * 2 + ungraded


def variant_of(planned: PlannedInspection) -> int:
    return inspection_variant(GRADES.index(planned.grade), planned.systemic, planned.ungraded)


@dataclass(frozen=True)
class Reaction:
    """What the policies do after one fact in one situation."""

    opens: tuple[tuple[str, int | None, int], ...]  # (kind, deadline in months or None, pattern id)
    withdraws: frozenset[str]
    timers: tuple[tuple[bool, int | None], ...]  # per TRACKED_TIMERS: (cancel the pending one, schedule one due
    # this many months on)

    timed: bool = field(init=False)  # whether it touches any tracked timer

    def __post_init__(self) -> None:
        object.__setattr__(self, "timed", any(cancel or months is not None for cancel, months in self.timers))

    @property
    def report(self) -> tuple[bool, int | None]:
        return self.timers[0]

    @property
    def supervision(self) -> tuple[bool, int | None]:
        return self.timers[1]


class KernelTables:
    """Moves, stages, reactions and patterns for one policy registry."""

    def __init__(self, registry: PolicyRegistry, first_day: dt.date, last_day: dt.date) -> None:
        self.rulebook = Rulebook()
        self.calendar = WorkingDayCalendar()
        self.states = [tuple(REGIONS[name]["states"]) for name in REGION_NAMES]
        self.combos = [dict(zip(REGION_NAMES, combo, strict=True)) for combo in itertools.product(*self.states)]
        self.stage_of = [STAGES.index(derive_stage(states)) for states in self.combos]
        self.intervention = [STAGES[stage] in INTERVENTION_STAGES for stage in self.stage_of]
        # kernel.READOUTS bits 1-3: under a notice, under a direction, services out of the council (DFE-07)
        self.readout_mask = [
            (combo["instrument"] == "improvement_notice") << 1
            | (combo["instrument"] in ("statutory_direction", "commissioner_review")) << 2
            | (combo["delivery"] in OUT_OF_COUNCIL_STAGES) << 3
            for combo in self.combos
        ]
        self.facts = self._exemplars()
        self.data = [fact_to_data(fact) for fact in self.facts]
        self.moves = [self._moves(variant) for variant in range(VARIANTS)]
        self._led_after = [(self._leads(variant, False), self._leads(variant, True)) for variant in range(VARIANTS)]
        self._patterns: dict[tuple[Any, Any], int] = {}
        self.meets: list[list[bool]] = []
        self.contradicts: list[list[bool]] = []
        self._reactions: dict[tuple[int, int, int, bool, bool, bool], Reaction] = {}
        self._lookback: dict[int, int] = {}
        self._quiet: dict[tuple[int, int, int], bool] = {}
        self._policy_sets, self._era_starts, self._era_sets = self._eras(registry, first_day, last_day)

    def combo_of(self, states: Mapping[str, str]) -> int:
        index = 0
        for name, choices in zip(REGION_NAMES, self.states, strict=True):
            index = index * len(choices) + choices.index(states[name])
        return index

    def region(self, combo: int, name: str) -> str:
        return str(self.combos[combo][name])

    def pattern_id(self, meets: Sequence[Mapping[str, Any]], contradicts: Sequence[Mapping[str, Any]]) -> int:
        """The id of an expectation's patterns, with which facts (variants) meet or contradict it."""
        key = (_frozen(meets), _frozen(contradicts))
        if key not in self._patterns:
            self._patterns[key] = len(self.meets)
            self.meets.append([matches_any(meets, data) for data in self.data])
            self.contradicts.append([matches_any(contradicts, data) for data in self.data])
        return self._patterns[key]

    def policy_set(self, day: int) -> int:
        """Which set of policies is in force on a day (ordinal)."""
        return self._era_sets[bisect.bisect_right(self._era_starts, day) - 1]

    def lookback_months(self, policy_set: int) -> int:
        """DFE-03: the look-back for persistent failure of the DfE regime in force (five years)."""
        found = self._lookback.get(policy_set)
        if found is None:
            found = self._lookback[policy_set] = self._regime_lookback(policy_set)
        return found

    def quiet(self, policy_set: int, variant: int, combo: int) -> bool:
        """Whether `variant` moves nothing from `combo` and the policies react to it with nothing the kernel keeps
        (Ofsted's visits, ILACS-05/08): then only its pattern matches can matter."""
        key = (policy_set, variant, combo)
        found = self._quiet.get(key)
        if found is None:
            reaction = self.reaction(policy_set, variant, combo, False, False)
            found = self._quiet[key] = (
                self.moves[variant][combo] == combo and not reaction.opens and not reaction.withdraws
                and not any(cancel or months is not None for cancel, months in reaction.timers)
            )  # fmt: skip
        return found

    def _regime_lookback(self, policy_set: int) -> int:
        for policy in self._policy_sets[policy_set]:
            regime = getattr(policy, "regime", None)
            if regime is not None:
                return 12 * int(regime.lookback_years)
        return 60

    def review_months(self, policy_set: int) -> int:
        """DFE-05: months between the DfE's progress reviews under a notice, in the regime in force (six)."""
        for policy in self._policy_sets[policy_set]:
            regime = getattr(policy, "regime", None)
            if regime is not None:
                return int(regime.progress_review_months)
        return 6

    def reaction(
        self, policy_set: int, variant: int, combo: int, persistent: bool, revocation_open: bool, led: bool = False
    ) -> Reaction:
        """The policies' reaction to `variant` from `combo`; `led`: the open direction is a commissioner's."""
        key = (policy_set, variant, combo, persistent, revocation_open, led)
        found = self._reactions.get(key)
        if found is None:
            found = self._reactions[key] = self._ask(self._policy_sets[policy_set], *key[1:])
        return found

    # ------------------------------------------------------------------------------------------------------------

    def _exemplars(self) -> list[Fact]:
        day = _BASE.toordinal()
        facts: list[Fact] = [action_fact(action, day) for action in range(ACTIONS)]
        facts.append(facts[ADM_LIVE])
        for grade, systemic, ungraded in itertools.product(range(len(GRADES)), (False, True), (False, True)):
            base = (_BASE_UNGRADED if ungraded else _BASE).toordinal()
            planned = PlannedInspection(base - 60, base - 50, base, GRADES[grade], systemic and grade == INADEQUATE)
            facts.append(inspection_fact(planned))
        return facts

    def _moves(self, variant: int) -> list[int]:
        fact = self.facts[variant]
        details = {"delivery_form": "partner_council" if variant == ADM_LIVE_PARTNER else "partnership_trust"}
        moves = []
        for states in self.combos:
            ruling = self.rulebook.rule(fact, states, details)
            moves.append(self.combo_of(ruling.states) if ruling.legal else -1)
        return moves

    def _eras(
        self, registry: PolicyRegistry, first_day: dt.date, last_day: dt.date
    ) -> tuple[list[Sequence[Policy]], list[int], list[int]]:
        sets: list[Sequence[Policy]] = []
        starts: list[int] = []
        indices: list[int] = []
        for ordinal in range(first_day.toordinal() - 1, last_day.toordinal() + 2):
            policies = registry.in_force(dt.date.fromordinal(ordinal))
            position = next((i for i, known in enumerate(sets) if known is policies), None)
            if position is None:
                sets.append(policies)
                position = len(sets) - 1
            if not indices or indices[-1] != position:
                starts.append(ordinal if starts else -(1 << 40))
                indices.append(position)
        return sets, starts, indices

    def _ask(
        self, policies: Sequence[Policy], variant: int, combo: int, persistent: bool, revocation_open: bool, led: bool
    ) -> Reaction:
        fact = self.facts[variant]
        view = self._view(fact, combo, persistent, revocation_open, led)
        opens: list[tuple[str, int | None, int]] = []
        withdraws: set[str] = set()
        timers: dict[str, tuple[bool, int | None]] = dict.fromkeys(TRACKED_TIMERS, (False, None))
        for policy in policies:
            reactions = policy.react_to_fact(view, fact, self.calendar)
            for change in reactions.change:
                if change.kind in timers:
                    if change.due_on is not None:
                        raise NotImplementedError(f"the kernel cannot move a {change.kind} timer ({policy.version})")
                    timers[change.kind] = (True, timers[change.kind][1])
            for request in reactions.schedule:
                if request.kind in timers:
                    timers[request.kind] = (timers[request.kind][0], _months(fact.occurred_on, request.due_on))
            withdraws |= set(reactions.withdraw)
            for wanted in reactions.expect:
                due = _months(fact.occurred_on, wanted.due_on) if wanted.due_on else None
                opens.append((wanted.kind, due, self.pattern_id(wanted.meets, wanted.contradicts)))
        return Reaction(tuple(opens), frozenset(withdraws), tuple(timers[kind] for kind in TRACKED_TIMERS))

    def led_after(self, variant: int, led: bool) -> bool:
        """Whether a commissioner leads the direction once `variant` is recorded (as the aggregate decides it)."""
        return self._led_after[variant][led]

    def _leads(self, variant: int, led: bool) -> bool:
        before = {"direction_led_by": "commissioner" if led else None}
        after = decide_details(self.facts[variant], before, []).get("direction_led_by", before["direction_led_by"])
        return bool(after == "commissioner")

    def _view(self, fact: Fact, combo: int, persistent: bool, revocation_open: bool, led: bool) -> CouncilView:
        inspections: list[dict[str, Any]] = []
        if isinstance(fact, InspectionPublished):
            if persistent:
                earlier = inspection_fact(PlannedInspection(*_days(fact.occurred_on, 400), "inadequate", False))
                inspections.append(inspection_record(earlier, None))
            inspections.append(inspection_record(fact, inspections[-1] if inspections else None))
        return CouncilView(
            "SIMULATED",
            dict(self.combos[combo]),
            inspections,
            details={"direction_led_by": "commissioner"} if led else {},
            open_expectations=["direction_revoked"] if revocation_open else [],
        )


def _days(published: dt.date, before: int) -> tuple[int, int, int]:
    day = published.toordinal() - before
    return day - 60, day - 50, day


def _months(on: dt.date, due: dt.date) -> int:
    months = months_between(on, due)
    if add_months(on, months) != due:
        raise NotImplementedError(f"the kernel keeps deadlines in whole months; {on} → {due} is not")
    return months


def _frozen(patterns: Sequence[Mapping[str, Any]]) -> tuple[tuple[tuple[str, Any], ...], ...]:
    return tuple(tuple(sorted((key, str(value)) for key, value in pattern.items())) for pattern in patterns)


@dataclass(frozen=True)
class LaneStart:
    """A `CouncilStart` in the kernel's terms: the combination of states and expectations with pattern ids."""

    start: CouncilStart
    combo: int
    partner: bool
    expectations: tuple[tuple[int, str, int, int | None, int], ...]  # seq, kind, opened, due, pattern id

    @classmethod
    def of(cls, start: CouncilStart, tables: KernelTables) -> LaneStart:
        expectations = tuple(
            (e.seq, e.kind, e.opened, e.due, tables.pattern_id(e.meets, e.contradicts)) for e in start.expectations
        )
        return cls(start, tables.combo_of(start.states), start.delivery_form == "partner_council", expectations)
