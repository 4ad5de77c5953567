"""The lifecycle rulebook: which facts are legal from which states, and where they lead (DESIGN decisions 2 and 4).

This is the only module that imports `transitions`. The lifecycle has four orthogonal regions, each one small
`transitions.Machine` built once with `model=None` and `auto_transitions=False`: it is asked, never bound. An
aggregate keeps its states as plain strings. Guards are named predicates over the fact (see `GUARDS`); a move
whose guards fail is not taken. The one-word *stage* that users read is derived from the four regions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from ..facts import (
    TRIGGERS,
    DeliveryForm,
    Fact,
    Grade,
    InspectionPublished,
    StatutoryDirectionIssued,
)

# Each move in the words users type: the fact type that makes it (a revised direction is a direction issued with
# `revises_earlier`). Errors and deviations name moves so, never by the rulebook's trigger names.
FACT_OF_TRIGGER: dict[str, str] = {
    **{trigger: fact_type for fact_type, trigger in TRIGGERS.items()},
    "revise_statutory_direction": "statutory_direction_issued with revises_earlier",
}


def move_name(fact: Fact) -> str:
    """The move `fact` makes, as users type it: its fact type (a revision says so)."""
    return FACT_OF_TRIGGER.get(fact.trigger, fact.describe())


Guard = Callable[[Fact, Mapping[str, Any]], bool]


def _grade(fact: Fact) -> Grade | None:
    return fact.judgements.overall if isinstance(fact, InspectionPublished) else None


def _delivery_form(details: Mapping[str, Any]) -> str | None:
    form = details.get("delivery_form")
    return str(form) if form else None


GUARDS: dict[str, Guard] = {
    "is_led_by_commissioner": lambda _, council: council.get("direction_led_by") == "commissioner",
    "is_graded_outstanding": lambda fact, _: _grade(fact) is Grade.outstanding,
    "is_graded_good": lambda fact, _: _grade(fact) is Grade.good,
    "is_graded_requires_improvement": lambda fact, _: _grade(fact) is Grade.requires_improvement,
    "is_graded_inadequate": lambda fact, _: _grade(fact) is Grade.inadequate,
    "has_no_overall_grade": lambda fact, _: _grade(fact) in (None, Grade.not_graded),
    "appoints_commissioner": lambda fact, _: isinstance(fact, StatutoryDirectionIssued) and fact.commissioner_review,
    "delivers_through_partner_council": lambda _, council: (
        _delivery_form(council) == DeliveryForm.partner_council.value
    ),
}

REGIONS: dict[str, dict[str, Any]] = {
    "judgement": {
        "initial": "not_inspected",
        "states": ["not_inspected", "outstanding", "good", "requires_improvement", "inadequate", "ungraded"],
        "transitions": [
            {
                "trigger": "publish_inspection",
                "source": "*",
                "dest": "outstanding",
                "conditions": "is_graded_outstanding",
            },
            {"trigger": "publish_inspection", "source": "*", "dest": "good", "conditions": "is_graded_good"},
            {
                "trigger": "publish_inspection",
                "source": "*",
                "dest": "requires_improvement",
                "conditions": "is_graded_requires_improvement",
            },
            {
                "trigger": "publish_inspection",
                "source": "*",
                "dest": "inadequate",
                "conditions": "is_graded_inadequate",
            },
            {
                "trigger": "publish_inspection",
                "source": "*",
                "dest": "ungraded",
                "conditions": "has_no_overall_grade",
            },
            # ILACS-08: monitoring visits are for councils judged inadequate (or, after April 2026, ungraded).
            {"trigger": "record_monitoring_visit", "source": ["inadequate", "ungraded"], "dest": "="},
            # ILACS-05: inadequate councils get monitoring visits, not focused visits.
            {
                "trigger": "record_focused_visit",
                "source": ["outstanding", "good", "requires_improvement", "ungraded"],
                "dest": "=",
            },
            # ILACS-07: an action plan answers a graded report.
            {
                "trigger": "submit_action_plan",
                "source": ["outstanding", "good", "requires_improvement", "inadequate", "ungraded"],
                "dest": "=",
            },
        ],
    },
    "instrument": {
        "initial": "none",
        "states": ["none", "improvement_notice", "statutory_direction", "commissioner_review"],
        "transitions": [
            {"trigger": "issue_improvement_notice", "source": "none", "dest": "improvement_notice"},
            {"trigger": "lift_improvement_notice", "source": "improvement_notice", "dest": "none"},
            {
                "trigger": "issue_statutory_direction",
                "source": ["none", "improvement_notice"],
                "dest": "commissioner_review",
                "conditions": "appoints_commissioner",
            },
            {
                "trigger": "issue_statutory_direction",
                "source": ["none", "improvement_notice"],
                "dest": "statutory_direction",
                "unless": "appoints_commissioner",
            },
            {
                "trigger": "revise_statutory_direction",
                "source": ["statutory_direction", "commissioner_review"],
                "dest": "commissioner_review",
                "conditions": "appoints_commissioner",
            },
            {
                "trigger": "revise_statutory_direction",
                "source": ["statutory_direction", "commissioner_review"],
                "dest": "statutory_direction",
                "unless": "appoints_commissioner",
            },
            {
                "trigger": "revoke_statutory_direction",
                "source": ["statutory_direction", "commissioner_review"],
                "dest": "none",
            },
            {
                "trigger": "appoint_commissioner",
                "source": ["statutory_direction", "commissioner_review"],
                "dest": "commissioner_review",
            },
            # DFE-06: the report ends the review; the direction stays open until revoked or revised.
            {
                "trigger": "receive_commissioner_report",
                "source": "commissioner_review",
                "dest": "statutory_direction",
            },
            # DFE-09: a commissioner kept on to oversee the direction reports again (quarterly in Worcestershire
            # 2017; Wakefield's three reports of 2018-20 in the DfE register).
            {
                "trigger": "receive_commissioner_report",
                "source": "statutory_direction",
                "dest": "=",
                "conditions": "is_led_by_commissioner",
            },
            {
                "trigger": "complete_progress_review",
                "source": ["improvement_notice", "statutory_direction", "commissioner_review"],
                "dest": "=",
            },
        ],
    },
    "delivery": {
        "initial": "council",
        "states": ["council", "alternative_delivery_decided", "trust", "partner_council"],
        "transitions": [
            {
                "trigger": "decide_alternative_delivery",
                "source": "council",
                "dest": "alternative_delivery_decided",
            },
            {
                "trigger": "start_alternative_delivery",
                "source": "alternative_delivery_decided",
                "dest": "partner_council",
                "conditions": "delivers_through_partner_council",
            },
            {
                "trigger": "start_alternative_delivery",
                "source": "alternative_delivery_decided",
                "dest": "trust",
                "unless": "delivers_through_partner_council",
            },
            {
                "trigger": "end_alternative_delivery",
                "source": ["trust", "partner_council"],
                "dest": "council",
            },
        ],
    },
    "supervision": {
        "initial": "none",
        "states": ["none", "support_and_supervision"],
        "transitions": [
            # DFE-08: lifting a notice starts (or restarts) a year of support and supervision.
            {
                "trigger": "lift_improvement_notice",
                "source": ["none", "support_and_supervision"],
                "dest": "support_and_supervision",
            },
            {"trigger": "end_support_and_supervision", "source": "support_and_supervision", "dest": "none"},
            # DFE-08: the DfE's closing letter may arrive after the year has already run out (timer ended it).
            {"trigger": "end_support_and_supervision", "source": "none", "dest": "="},
        ],
    },
}

STAGES: tuple[str, ...] = (
    "not_inspected",
    "outstanding",
    "good",
    "requires_improvement",
    "inadequate",
    "ungraded",
    "improvement_notice",
    "statutory_direction",
    "commissioner_review",
    "alternative_delivery_decided",
    "trust",
    "partner_council",
    "returned",
)


# Stages in which a DfE instrument or alternative delivery is open: "councils in DfE intervention".
INTERVENTION_STAGES: tuple[str, ...] = STAGES[STAGES.index("improvement_notice") : STAGES.index("returned")]
# Stages in which services are delivered outside the council's direct control (DFE-07).
OUT_OF_COUNCIL_STAGES: tuple[str, ...] = ("trust", "partner_council")


def derive_stage(states: Mapping[str, str]) -> str:
    """The one word users read, most serious condition first.

    Services outside council control (trust, partner council) outrank any instrument; then the instrument
    (commissioner review, direction, notice); then `returned` for the year of support and supervision after
    intervention; otherwise the latest judgement.
    """
    delivery = states["delivery"]
    if delivery in OUT_OF_COUNCIL_STAGES:
        return delivery
    instrument = states["instrument"]
    if instrument != "none":
        return instrument
    if delivery == "alternative_delivery_decided":
        return delivery
    if states["supervision"] == "support_and_supervision":
        return "returned"
    return states["judgement"]


@dataclass(frozen=True)
class Ruling:
    """What the rulebook says about one fact: the new states, and any region that refused the move."""

    states: dict[str, str]
    refused: dict[str, str]
    inferred: tuple[str, ...] = ()  # set by the aggregate: facts inferred and recorded before this one

    @property
    def legal(self) -> bool:
        return not self.refused


class Rulebook:
    """One `transitions` machine per region, used as a pure rulebook (never bound to an aggregate)."""

    def __init__(self, regions: Mapping[str, Mapping[str, Any]] = REGIONS, guards: Mapping[str, Guard] = GUARDS):
        self.regions = regions
        self.guards = guards
        self._machines = {
            name: Machine(
                model=None,
                states=list(spec["states"]),
                transitions=[dict(t) for t in spec["transitions"]],
                initial=spec["initial"],
                auto_transitions=False,
            )
            for name, spec in regions.items()
        }

    def initial_states(self) -> dict[str, str]:
        return {name: str(spec["initial"]) for name, spec in self.regions.items()}

    def rule(self, fact: Fact, states: Mapping[str, str], council: Mapping[str, Any]) -> Ruling:
        """Where `fact` leads from `states`; `council` holds the aggregate details some guards read."""
        new_states = dict(states)
        refused: dict[str, str] = {}
        for region, machine in self._machines.items():
            if fact.trigger not in machine.events:
                continue
            dest, reason = self._move(machine, fact, states[region], council)
            if dest is None:
                refused[region] = reason
                dest = self._lenient_destination(machine, fact, states[region], council)
            new_states[region] = dest
        return Ruling(new_states, refused)

    def regions_moved_by(self, trigger: str) -> list[str]:
        """The regions whose machine knows `trigger` (what a fact of that kind can change)."""
        return [region for region, machine in self._machines.items() if trigger in machine.events]

    def legal_moves(self, states: Mapping[str, str]) -> dict[str, list[str]]:
        """The triggers each region would accept now (guards aside)."""
        return {region: sorted(machine.get_triggers(states[region])) for region, machine in self._machines.items()}

    def legal_facts(self, states: Mapping[str, str], refused: Fact | None = None) -> dict[str, list[str]]:
        """The fact types the council's `states` accept now (guards aside), under each region they move: a fact
        is legal only when every region it moves accepts it, so a move refused in one region is listed in none.
        `refused`, the fact just refused, is never listed (it may have failed a guard only)."""
        accepted = {region: set(triggers) for region, triggers in self.legal_moves(states).items()}
        legal: dict[str, list[str]] = {region: [] for region in self._machines}
        for trigger, fact_type in sorted(FACT_OF_TRIGGER.items(), key=lambda item: item[1]):
            regions = self.regions_moved_by(trigger)
            if refused is not None and fact_type == move_name(refused):
                continue
            if regions and all(trigger in accepted[region] for region in regions):
                for region in regions:
                    legal[region].append(fact_type)
        return legal

    def _move(self, machine: Machine, fact: Fact, source: str, council: Mapping[str, Any]) -> tuple[str | None, str]:
        candidates = machine.get_transitions(trigger=fact.trigger, source=source)
        if not candidates:
            return None, f"{move_name(fact)} is not a move from {source}"
        for transition in candidates:
            if self._guards_pass(transition, fact, council):
                return transition.dest or source, ""
        names = ", ".join(sorted({str(c.func) for t in candidates for c in t.conditions}))
        return None, f"{move_name(fact)} from {source} needs {names}"

    def _lenient_destination(self, machine: Machine, fact: Fact, source: str, council: Mapping[str, Any]) -> str:
        """Lenient mode follows what the fact says: the destination of any move with this trigger."""
        for transitions in machine.events[fact.trigger].transitions.values():
            for transition in transitions:
                if transition.dest is not None and self._guards_pass(transition, fact, council):
                    return str(transition.dest)
        return source

    def _guards_pass(self, transition: Any, fact: Fact, council: Mapping[str, Any]) -> bool:
        return all(self.guards[c.func](fact, council) == c.target for c in transition.conditions)

    def mermaid(self) -> str:
        """The lifecycle as a Mermaid state diagram, one parallel region per box (no graphviz needed).

        Moves allowed from every state (`source="*"`) are drawn once, from a node labelled "any state".
        """
        lines = ["stateDiagram-v2"]
        last = list(self.regions)[-1]
        for region, spec in self.regions.items():
            lines.append(f"    state {region} {{")
            lines.append(f"        [*] --> {region}_{spec['initial']}")
            lines += [f"        {region}_{state} : {state}" for state in spec["states"]]
            if any(t["source"] == "*" for t in spec["transitions"]):
                lines.append(f"        {region}_any : any state")
            for source, dest, label in _edges(spec["transitions"]):
                lines.append(f"        {region}_{source} --> {region}_{dest} : {label}")
            lines.append("    }")
            if region != last:
                lines.append("    --")
        return "\n".join(lines) + "\n"


def _edges(transitions: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for transition in transitions:
        sources = transition["source"]
        sources = ["any"] if sources == "*" else [sources] if isinstance(sources, str) else list(sources)
        for source in sources:
            dest = source if transition["dest"] == "=" else transition["dest"]
            label = transition["trigger"]
            guard = transition.get("conditions") or (
                f"not {transition['unless']}" if transition.get("unless") else None
            )
            if guard:
                label = f"{label} [{guard}]"
            edges.setdefault((source, dest), []).append(label)
    return [(s, d, " / ".join(labels)) for (s, d), labels in edges.items()]
