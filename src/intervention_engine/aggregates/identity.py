"""Stable identities: a council's stream id and the stored topics of its events."""

from __future__ import annotations

import uuid

COUNCIL_NAMESPACE = uuid.UUID("5d0c6c1e-2f0b-4c55-9a39-8f3e0f7f6a11")


def council_id(code: str) -> uuid.UUID:
    """The stream id of a council: uuid5 of its code, so every entry point finds the same stream."""
    return uuid.uuid5(COUNCIL_NAMESPACE, code.strip().upper())


FACT_EVENTS = ("Registered", "FactRecorded")  # the events that record a fact (a registration is the first)


def event_topic(name: str) -> str:
    """The stable stored topic of a Council event (never the module path, so classes can move)."""
    return f"intervention_engine:Council.{name}"
