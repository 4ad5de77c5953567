"""Matching facts against open expectations: plain-data patterns, so expectations can live in events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

OPEN, MET, CONTRADICTED, MISSED, WITHDRAWN = "open", "met", "contradicted", "missed", "withdrawn"
# Missed where no source covers the council's record (DESIGN decision 12): nothing on record, which is not nothing.
UNVERIFIED = "unverified"


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
    if fact.get("type") == "coverage_declared":
        until = fact.get("covers_until") or "open-ended"
        text += f": {', '.join(fact['regions'])} from {fact['covers_from']} to {until}"
    if fact.get("inferred"):
        text += f" [inferred: {fact.get('inference')}; implied by {fact.get('implied_by')}]"
    elif fact.get("inference"):
        text += f" [read as such: {fact['inference']}]"
    return text
