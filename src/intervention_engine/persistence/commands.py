"""A fact to record and what the engine decided about it before saving (`InterventionEngine.record`,
`record_many`): the council with its new events still pending, and the actor and request id they will carry."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..aggregates.council import Council
from ..facts import Fact
from ..results import Recorded


@dataclass(frozen=True)
class RecordCommand:
    """One fact to record (`InterventionEngine.record_many`): the arguments of `InterventionEngine.record`."""

    council: str | None
    fact: Fact | Mapping[str, Any]
    strict: bool | None = None
    actor: str | None = None
    request_id: str | None = None  # the retry key: a repeat by the same actor records nothing new
    trace_id: str | None = None  # the caller's trace id (HTTP X-Request-ID), kept in the audit trail only


@dataclass
class Decision:
    """A fact decided on its council, with the council's new events not yet saved."""

    council: Council
    fact: Fact
    version: int  # the council's version before the command
    legal: bool
    inferred: tuple[str, ...] = ()  # facts the record implied, recorded before this one (policies/inference.py)

    def recorded(self, position: int | None, request_id: str | None) -> Recorded:
        council = self.council
        return Recorded(
            council.code,
            self.fact.describe(),
            self.fact.occurred_on,
            council.stage,
            dict(council.states),
            council.version - self.version,
            None if self.legal else copy.deepcopy(council.deviations[-1]),
            position,
            request_id,
            inferred=self.inferred,
        )


@dataclass
class Pending:
    """A decided fact of `InterventionEngine.record_many` waiting to be saved with the others of its batch."""

    index: int  # of the command in `record_many`
    decision: Decision
    metadata: Mapping[str, str]


def metadata_of(actor: str | None, request_id: str | None, trace_id: str | None = None) -> dict[str, str]:
    given = (("actor", actor), ("request_id", request_id), ("trace_id", trace_id))
    return {k: v for k, v in given if v is not None}


def options_of(command: RecordCommand) -> dict[str, Any]:
    """The keyword arguments of `InterventionEngine.record` that `command` carries beside its council and fact."""
    return {option: getattr(command, option) for option in ("strict", "actor", "request_id", "trace_id")}


def repeats_request(batch: Mapping[uuid.UUID, Pending], command: RecordCommand) -> bool:
    """Whether `command` repeats the request id of its actor's fact waiting in `batch` (saved first, so it is
    found)."""
    return command.request_id is not None and any(
        p.metadata.get("request_id") == command.request_id and p.metadata.get("actor") == command.actor
        for p in batch.values()
    )


def stamp(council: Council, metadata: Mapping[str, str]) -> None:
    """Give each of the council's unsaved events the command's actor and request id (the audit trail only)."""
    if metadata:
        for event in council.pending_events:
            object.__setattr__(event, "metadata", dict(metadata))  # read by the audit trail, never by replay
