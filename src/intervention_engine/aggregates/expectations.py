"""Matching facts against open expectations: plain-data patterns, so expectations can live in events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

OPEN, MET, CONTRADICTED, MISSED, WITHDRAWN = "open", "met", "contradicted", "missed", "withdrawn"


def matches(pattern: Mapping[str, Any], fact: Mapping[str, Any]) -> bool:
    """A fact matches a pattern when it has every field of the pattern with the same value."""
    return all(fact.get(key) == value for key, value in pattern.items())


def matches_any(patterns: Iterable[Mapping[str, Any]], fact: Mapping[str, Any]) -> bool:
    return any(matches(pattern, fact) for pattern in patterns)


def describe_fact(fact: Mapping[str, Any]) -> str:
    """A short phrase for a recorded fact, for deviation messages and timelines."""
    if fact["type"] == "note_recorded":
        return f"note ({fact['kind']})" + (f": {fact['detail']}" if fact.get("detail") else "")
    text = str(fact["type"]).replace("_", " ")
    judgements = fact.get("judgements")
    if judgements:
        text += f": overall {judgements.get('overall', 'not graded')} ({fact.get('framework', '')})"
    for key in ("recommendation", "outcome", "form", "commissioner"):
        if key in fact:
            text += f", {key} {fact[key]}"
    if fact.get("type") == "statutory_direction_issued":
        text += " with commissioner review" if fact.get("commissioner_review") else " without a commissioner"
    if fact.get("revises_earlier"):
        text += " (revised)"
    return text
