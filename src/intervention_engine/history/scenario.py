"""Scenario files: one council's real history as facts, each with its source and confidence, plus checkpoints.

A scenario is YAML: `council:` (code, name, ons_code, ...), `events:` (facts as in `facts.py`, flat, each with a
required `source` and `confidence`) and `expect:` (checkpoints: stage, region states and pending timer kinds on a
date). The whole file is validated before anything is recorded; a bad file raises `InvalidScenario` naming the
file, the line and the field. Dates stay text while the YAML is read, so partial dates (`2017-03`) and impossible
ones (`2022-02-30`) reach the fact models, which place or reject them with the field's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from yaml.nodes import Node

from ..clock import VirtualClock
from ..engine import CouncilStatus, InterventionEngine, Recorded
from ..errors import InterventionError, InvalidFact, InvalidScenario
from ..facts import FACT_ADAPTER, AnyFact, Confidence, CouncilRegistered, Fact
from ..policies.rulebook import REGIONS, STAGES
from .yaml_source import explain, item_lines, locate, read_yaml


def _text_date(value: Any) -> Any:
    if isinstance(value, str | dt.date):
        return value
    raise ValueError("expected a date written YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_text_date)]


class ScenarioCouncil(BaseModel):
    """The council whose history the file holds; it is registered on `registered_on` (default: first event)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, description="DfE three-digit LA code")
    name: str = Field(min_length=1)
    ons_code: str | None = None
    ofsted_urn: str | None = None
    region: str | None = None
    registered_on: Day | None = None
    source: str | None = Field(default=None, description="where the council's identity comes from")


class ScenarioEvent(BaseModel):
    """One fact of the history, written flat in the file with its `source` and `confidence`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, description="URL or citation of the evidence for this event")
    confidence: Confidence
    fact: AnyFact

    @model_validator(mode="before")
    @classmethod
    def _split(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "fact" in data:
            return data
        fact = dict(data)
        if isinstance(fact.get("occurred_on"), int) and not isinstance(fact["occurred_on"], bool):
            fact["occurred_on"] = str(fact["occurred_on"])  # an unquoted year
        return {**{key: data[key] for key in ("source", "confidence") if key in data}, "fact": fact}

    @model_validator(mode="after")
    def _not_a_registration(self) -> ScenarioEvent:
        if isinstance(self.fact, CouncilRegistered):
            raise ValueError("council_registered belongs in the `council:` block, not in `events:`")
        return self

    def to_fact(self) -> Fact:
        """The fact to record, carrying its `source` and `confidence`."""
        return self.fact


class Checkpoint(BaseModel):
    """What the sources say about the council on a date; every field given must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: Day
    stage: str | None = Field(default=None, json_schema_extra={"enum": list(STAGES)})
    states: dict[str, str] | None = Field(default=None, description="region: state, for any of the regions")
    pending_timers: list[str] | None = Field(
        default=None, description="timer kinds that must be pending that day (others may be pending too)"
    )

    @field_validator("stage")
    @classmethod
    def _known_stage(cls, stage: str | None) -> str | None:
        if stage is not None and stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; stages are: {', '.join(STAGES)}")
        return stage

    @field_validator("states")
    @classmethod
    def _known_states(cls, states: dict[str, str] | None) -> dict[str, str] | None:
        for region, state in (states or {}).items():
            if region not in REGIONS:
                raise ValueError(f"unknown region {region!r}; regions are: {', '.join(REGIONS)}")
            if state not in REGIONS[region]["states"]:
                known = ", ".join(REGIONS[region]["states"])
                raise ValueError(f"unknown {region} state {state!r}; {region} states are: {known}")
        return states

    def problems(self, status: CouncilStatus) -> list[str]:
        """How the council's status on `on` differs from this checkpoint (empty when it holds)."""
        found: list[str] = []
        if self.stage is not None and status.stage != self.stage:
            found.append(f"stage is {status.stage}, expected {self.stage}")
        for region, state in (self.states or {}).items():
            if status.states.get(region) != state:
                found.append(f"{region} is {status.states.get(region)}, expected {state}")
        pending = sorted({str(timer["kind"]) for timer in status.pending_timers})
        missing = [kind for kind in self.pending_timers or () if kind not in pending]
        if missing:
            found.append(f"no pending {', '.join(missing)} (pending: {', '.join(pending) or 'none'})")
        return found


class Scenario(BaseModel):
    """One council's history: who it is, what happened (in order) and what should hold on given dates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    council: ScenarioCouncil
    events: list[ScenarioEvent] = Field(min_length=1)
    expect: list[Checkpoint] = Field(default_factory=list)

    _origin: str = PrivateAttr(default="<scenario>")
    _event_lines: tuple[int, ...] = PrivateAttr(default=())
    _checkpoint_lines: tuple[int, ...] = PrivateAttr(default=())

    @property
    def origin(self) -> str:
        return self._origin

    def registration(self) -> CouncilRegistered:
        council = self.council
        return CouncilRegistered(
            occurred_on=council.registered_on or self.events[0].fact.occurred_on,
            source=council.source,
            **council.model_dump(include={"code", "name", "ons_code", "ofsted_urn", "region"}),
        )

    @property
    def ends_on(self) -> dt.date:
        """The last date the file speaks about: its last event or its last checkpoint."""
        return max([self.events[-1].fact.occurred_on, *(checkpoint.on for checkpoint in self.expect)])

    def event_line(self, index: int) -> int | None:
        return self._event_lines[index] if index < len(self._event_lines) else None

    def checkpoint_line(self, index: int) -> int | None:
        return self._checkpoint_lines[index] if index < len(self._checkpoint_lines) else None


# ----------------------------------------------------------------------------------------------------------------
# Reading files, with the line of every field.


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a whole scenario file, or raise `InvalidScenario` (file, line, field)."""
    origin = str(path)
    node, data = read_yaml(Path(path), InvalidScenario)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise InvalidScenario(explain(origin, node, error)) from None
    _check_order(origin, node, scenario)
    scenario._origin = origin
    scenario._event_lines = item_lines(node, "events")
    scenario._checkpoint_lines = item_lines(node, "expect")
    return scenario


def load_facts(path: Path | str) -> list[Fact]:
    """Read a JSON or YAML file holding one fact or a list of facts, or raise `InvalidFact` (file, line, field)."""
    node, data = read_yaml(Path(path), InvalidFact)
    items = data if isinstance(data, list) else [data]
    facts: list[Fact] = []
    for index, item in enumerate(items):
        loc: tuple[int | str, ...] = (index,) if isinstance(data, list) else ()
        if isinstance(item, dict) and isinstance(item.get("occurred_on"), int):
            item = {**item, "occurred_on": str(item["occurred_on"])}
        try:
            facts.append(FACT_ADAPTER.validate_python(item))
        except ValidationError as error:
            prefixed = [{**detail, "loc": loc + tuple(detail["loc"])} for detail in error.errors()]
            raise InvalidFact(explain(str(path), node, error, prefixed)) from None
    return facts


def _check_order(origin: str, root: Node | None, scenario: Scenario) -> None:
    """Facts are recorded in the order they happened: say so here, with the line, rather than half-way through."""
    first = scenario.events[0].fact.occurred_on
    registered = scenario.council.registered_on
    if registered is not None and registered > first:
        line, _ = locate(root, ("council", "registered_on"))
        raise InvalidScenario(f"{origin}, line {line}: council.registered_on: {registered} is after the first event")
    for index in range(1, len(scenario.events)):
        before, this = scenario.events[index - 1].fact.occurred_on, scenario.events[index].fact.occurred_on
        if this < before:
            line, field = locate(root, ("events", index, "occurred_on"))
            raise InvalidScenario(
                f"{origin}, line {line}: {field}: {this} is before the previous event ({before}); "
                "list events in the order they happened"
            )


# ----------------------------------------------------------------------------------------------------------------
# Replaying and checking.


@dataclass(frozen=True)
class CheckpointResult:
    """One checkpoint after a replay: where it is written and what did not hold."""

    on: dt.date
    line: int | None
    problems: list[str]

    @property
    def holds(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "line": self.line, "holds": self.holds, "problems": self.problems}


def replay_scenario(
    engine: InterventionEngine,
    scenario: Scenario,
    *,
    strict: bool | None = None,
    until: dt.date | None = None,
    rehearse: bool = True,
) -> list[Recorded]:
    """Register the council if new, record every event in order, then let timers fall due up to `until`.

    `until` defaults to the scenario's last date. When the council is new, the scenario is first rehearsed on an
    in-memory engine, so a fact the rulebook refuses stops the replay before anything reaches `engine`.
    """
    registered = any(code.casefold() == scenario.council.code.casefold() for code, _ in engine.councils())
    if rehearse and not registered:
        _replay(_sandbox(engine, strict), scenario, strict, registered=False)
    recorded = _replay(engine, scenario, strict, registered=registered)
    end = until or scenario.ends_on
    if isinstance(engine.clock, VirtualClock):
        engine.advance_to(end)
    else:
        engine.fire_due(min(end, engine.clock.today()))
    return recorded


def _replay(engine: InterventionEngine, scenario: Scenario, strict: bool | None, *, registered: bool) -> list[Recorded]:
    recorded = [] if registered else [engine.record(scenario.council.code, scenario.registration())]
    for index, event in enumerate(scenario.events):
        try:
            recorded.append(engine.record(scenario.council.code, event.to_fact(), strict=strict))
        except InterventionError as error:
            error.add_note(f"{scenario.origin}, line {scenario.event_line(index)}")
            raise
    return recorded


def _sandbox(engine: InterventionEngine, strict: bool | None) -> InterventionEngine:
    return InterventionEngine.in_memory(
        clock=VirtualClock(),
        policies=engine.policies,
        calendar=engine.calendar,
        strict=engine.strict if strict is None else strict,
    )


def checkpoint_results(engine: InterventionEngine, scenario: Scenario) -> list[CheckpointResult]:
    """Every checkpoint of the scenario against the engine's view of the council on its date."""
    return [
        CheckpointResult(
            checkpoint.on,
            scenario.checkpoint_line(index),
            checkpoint.problems(engine.state(scenario.council.code, as_of=checkpoint.on)),
        )
        for index, checkpoint in enumerate(scenario.expect)
    ]


def check_expectations(engine: InterventionEngine, scenario: Scenario) -> list[str]:
    """Every checkpoint that does not hold, one line each with its file and line (empty when all hold)."""
    return [
        f"{scenario.origin}, line {result.line}: on {result.on}: {problem}"
        for result in checkpoint_results(engine, scenario)
        for problem in result.problems
    ]


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file as written: events flat, each a fact plus `source` and `confidence`."""
    schema = Scenario.model_json_schema()
    defs: dict[str, Any] = schema["$defs"]
    event = defs.pop("ScenarioEvent")
    union = event["properties"]["fact"]
    refs = [ref for ref in union["oneOf"] if not ref["$ref"].endswith("/CouncilRegistered")]
    for ref in refs:
        fact = defs[ref["$ref"].rsplit("/", 1)[-1]]
        fact["properties"]["source"] = event["properties"]["source"]
        fact["properties"]["confidence"] = event["properties"]["confidence"]
        fact["properties"]["occurred_on"] = {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?|-Q[1-4])?$",
            "description": "YYYY-MM-DD, or YYYY-MM / YYYY-Qn / YYYY when the day, month or quarter is unknown",
        }
        fact["required"] = sorted({*fact.get("required", []), "type", "occurred_on", "source", "confidence"})
    mapping = {tag: ref for tag, ref in union["discriminator"]["mapping"].items() if tag != "council_registered"}
    defs["ScenarioEvent"] = {
        "description": ScenarioEvent.__doc__,
        "oneOf": refs,
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    defs.pop("CouncilRegistered", None)
    return schema
