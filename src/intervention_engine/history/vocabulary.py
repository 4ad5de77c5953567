"""What each research event type becomes: the built-in vocabulary and the user's mapping file that extends it.

A research type (free text: `services_returned`, "Statutory direction issued") is compared without case, with
spaces and hyphens read as underscores. Each maps to a fact type of the engine, to `note` (kept as a
`note_recorded` fact, known and so not reported as unknown), or to one of two readings that depend on what the
file has opened before (`instrument_ended`: the open notice, direction or support and supervision ends;
`report_published`: a commissioner's report, unless the report under the same direction is already on record).

A mapping file (YAML) maps research types the same way, and wins over the built-in vocabulary:

    services_back_in_house: alternative_delivery_ended   # a fact type
    ombudsman_complaint: note                             # a note, not reported as unknown
    trust_launch:
      fact: alternative_delivery_live
      fields: {provider: trust_name}          # fact field: the event field it is read from
      constants: {form: partnership_trust}    # fact field: a fixed value

Fields a fact needs and the mapping does not give are read as the built-in types read them (the commissioner
from a direction's text, the form from a decision's text, grades from an inspection's `grades`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import TypeAdapter, ValidationError
from rapidfuzz import process
from yaml.nodes import MappingNode, Node

from ..errors import InvalidImport
from ..facts import FACT_TYPES, AnyFact, Fact
from .yaml_source import read_yaml

NOTE = "note"
INSTRUMENT_ENDED = "instrument_ended"
REPORT_PUBLISHED = "report_published"
_CONTEXTUAL = (INSTRUMENT_ENDED, REPORT_PUBLISHED)
MAPPABLE = (*(kind for kind in FACT_TYPES if kind != "council_registered"), NOTE, *_CONTEXTUAL)
_NOT_MAPPABLE_FIELDS = frozenset(
    {"type", "occurred_on", "date_precision", "simulated", "provenance", "inferred", "inference", "implied_by"}
)  # the importer and the engine set these, never a mapping
_SPEC_KEYS = ("fact", "fields", "constants")


@dataclass(frozen=True)
class TypeMapping:
    """What one research type becomes: a fact type (or `note`), fields read from the event, fixed fields."""

    fact: str
    fields: Mapping[str, str] = field(default_factory=dict)  # fact field -> event field
    constants: Mapping[str, Any] = field(default_factory=dict)
    origin: str = "built-in"


def type_key(kind: str) -> str:
    """A research type as compared: `Statutory direction-issued` → `statutory_direction_issued`."""
    return re.sub(r"[\s\-]+", "_", str(kind).strip().casefold())


def _same(fact: str, *kinds: str, **constants: Any) -> dict[str, TypeMapping]:
    return {kind: TypeMapping(fact, constants=constants) for kind in kinds}


# The research format's types (`../shared/data/README.md`), the engine's own names (RULES.md) and the synonyms a
# stranger's timeline uses. Every one was chosen by reading RULES.md: the rule id is on each group.
BUILT_IN: dict[str, TypeMapping] = {
    # ILACS-01..04: graded judgements; pre-SIF ones (to October 2013) count for DFE-03's persistence.
    **_same("inspection_published", "ofsted_judgement_published", "ofsted_judgement", "inspection_published",
            "ofsted_inspection_published", "judgement_published"),
    **_same("inspection_published", "pre_sif_judgement", "pre_sif_inspection", framework="pre_sif"),
    **_same("monitoring_visit_published", "ofsted_monitoring_visit", "monitoring_visit",
            "monitoring_visit_published"),  # ILACS-08
    **_same("focused_visit_published", "focused_visit", "focused_visit_published", "ofsted_focused_visit"),  # ILACS-05
    **_same("action_plan_submitted", "action_plan_submitted"),  # ILACS-07
    # DFE-01, DFE-05: notices.
    **_same("improvement_notice_issued", "dfe_improvement_notice", "improvement_notice", "improvement_notice_issued"),
    **_same("improvement_notice_lifted", "dfe_improvement_notice_lifted", "improvement_notice_lifted"),
    # DFE-01, DFE-03, DFE-06: directions; a revision replaces the open direction.
    **_same("statutory_direction_issued", "statutory_direction", "statutory_direction_issued", "dfe_direction",
            "dfe_statutory_direction", "dfe_discretionary_direction"),
    **_same("statutory_direction_issued", "dfe_direction_revised", "statutory_direction_revised",
            "direction_revised", "revised_direction", revises_earlier=True),
    **_same("statutory_direction_revoked", "dfe_direction_lifted", "statutory_direction_revoked",
            "statutory_direction_lifted", "direction_revoked", "direction_lifted"),
    **_same("commissioner_appointed", "commissioner_appointed"),
    **_same("commissioner_reported", "commissioner_report", "commissioner_report_submitted", "commissioner_reported"),
    **_same(REPORT_PUBLISHED, "commissioner_report_published"),  # DFE-06: "may be published later"
    # DFE-04, DFE-05, DFE-09: progress reviews.
    **_same("progress_review_completed", "dfe_progress_review", "dfe_progress_review_completed",
            "progress_review_completed", "progress_review"),  # the event's `outcome`, or read from its detail
    **_same("progress_review_completed", "insufficient_progress", outcome="insufficient"),
    # DFE-07: alternative delivery, and the return of services to the council.
    **_same("alternative_delivery_decided", "adm_decision", "adm_decided", "alternative_delivery_decided",
            "trust_decision"),
    **_same("alternative_delivery_live", "adm_go_live", "adm_live", "alternative_delivery_live", "trust_go_live",
            "trust_launched"),
    **_same("alternative_delivery_ended", "adm_ended", "services_returned", "returned_in_house",
            "services_returned_to_council", "alternative_delivery_ended", "trust_ended", "adm_returned"),
    # DFE-08: the end of an intervention, whichever instrument was open.
    **_same(INSTRUMENT_ENDED, "dfe_intervention_ended", "intervention_ended"),
    **_same("support_and_supervision_ended", "support_and_supervision_ended", "support_and_supervision_ends"),
    # Known, but no move of the engine's states: kept as notes (RULES.md keeps them as context).
    **_same(NOTE, "note", "note_recorded", "action_plan_due", "adm_incorporated", "adm_restructured",
            "adm_contract_renewed", "contract_renewal", "contract_renewed", "adm_renewed", "commissioner_replaced",
            "commissioner_withdrawn", "improvement_partner_appointed", "dclg_intervention", "mhclg_intervention",
            "whole_council_intervention", "independent_inquiry", "independent_review", "prior_status",
            "council_prior_status", "intervention_exit_proposed", "ofsted_report_received"),
}  # fmt: skip


def fact_fields(fact: str) -> tuple[str, ...]:
    """The fields a mapping may give for a fact type (`note` is a `note_recorded` fact)."""
    model = _model(fact)
    return tuple(name for name in model.model_fields if name not in _NOT_MAPPABLE_FIELDS) if model else ()


_MODELS: dict[str, type[Fact]] = {model.model_fields["type"].default: model for model in get_args(get_args(AnyFact)[0])}
_MODELS[NOTE], _MODELS[REPORT_PUBLISHED] = _MODELS["note_recorded"], _MODELS["commissioner_reported"]


def _model(fact: str) -> type[Fact] | None:
    return _MODELS.get(fact)  # None for `instrument_ended`, which takes no fields


def load_mapping(path: Path) -> dict[str, TypeMapping]:
    """Read a mapping file; an unknown fact type, field or key fails naming the file and line."""
    root, data = read_yaml(path, InvalidImport)
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(root, MappingNode):
        raise InvalidImport(f"{path}, line 1: a mapping file maps research types to facts (`type: fact`)")
    found: dict[str, TypeMapping] = {}
    for (key_node, value_node), (kind, value) in zip(root.value, data.items(), strict=True):  # duplicates refused
        found[type_key(str(kind))] = _entry(path, str(kind), key_node, value_node, value)
    return found


def _entry(path: Path, kind: str, key_node: Node, node: Node, value: Any) -> TypeMapping:
    where = f"{path}, line {key_node.start_mark.line + 1}"
    if isinstance(value, str):
        return TypeMapping(_fact(where, kind, value), origin=where)
    if not isinstance(value, dict) or not isinstance(node, MappingNode):
        raise InvalidImport(f"{where}: {kind}: give a fact type, `note`, or a mapping with {', '.join(_SPEC_KEYS)}")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    unknown = [key for key in value if key not in _SPEC_KEYS]
    if unknown:
        raise InvalidImport(f"{path}, line {lines[str(unknown[0])]}: {kind}: unknown key {unknown[0]!r}; "
                            f"known: {', '.join(_SPEC_KEYS)}")  # fmt: skip
    fact = _fact(f"{path}, line {lines.get('fact', key_node.start_mark.line + 1)}", kind, value.get("fact"))
    fields, constants = value.get("fields") or {}, value.get("constants") or {}
    for part, given in (("fields", fields), ("constants", constants)):
        at = f"{path}, line {lines.get(part, 0)}"
        if not isinstance(given, dict):
            raise InvalidImport(f"{at}: {kind}: `{part}` maps fact fields to {_WHAT[part]}")
        for name, item in given.items():
            _check_field(at, kind, fact, part, str(name), item)
    return TypeMapping(fact, {str(k): str(v) for k, v in fields.items()}, dict(constants), where)


_WHAT = {"fields": "the event's field names", "constants": "fixed values"}


def _fact(where: str, kind: str, fact: Any) -> str:
    if fact in MAPPABLE:
        return str(fact)
    near = process.extractOne(str(fact), MAPPABLE)
    hint = f"; did you mean {near[0]!r}?" if near and near[1] >= 70 else ""
    raise InvalidImport(f"{where}: {kind}: unknown fact type {fact!r}{hint} (known: {', '.join(MAPPABLE)})")


def _check_field(where: str, kind: str, fact: str, part: str, name: str, item: Any) -> None:
    known = fact_fields(fact)
    if name not in known:
        raise InvalidImport(f"{where}: {kind}: {fact} has no field {name!r}; its fields: {', '.join(known) or 'none'}")
    if part == "fields" and not isinstance(item, str):
        raise InvalidImport(f"{where}: {kind}: fields.{name} names an event field, not {item!r}")
    if part == "constants":
        model = _model(fact)
        assert model is not None  # a fact with no fields has failed above
        try:
            TypeAdapter[Any](model.model_fields[name].annotation or Any).validate_python(item)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise InvalidImport(f"{where}: {kind}: constants.{name} = {item!r}: {reason}") from None
