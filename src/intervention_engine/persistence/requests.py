"""Which request ids have already recorded a fact, folded incrementally from the notification log.

A client that retries a request (its connection dropped, the server died before answering) sends the same request
id again; the engine finds it here and answers with what the first attempt stored instead of recording the fact a
second time. The index is a cache of the events' metadata: rebuilt from the store whenever an engine starts, and
read up to the latest notification before each check, so it sees what other processes recorded too.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification, Recording

from ..aggregates.identity import FACT_EVENTS, event_topic
from ..errors import RequestIdReused
from ..facts import Fact, fact_to_data
from ..policies.rulebook import derive_stage
from ..results import Recorded
from .council_index import CouncilIndex
from .log import LogFollower
from .store import CouncilStore

_MARKER = b'"request_id"'


@dataclass(frozen=True)
class EarlierRequest:
    """What a request id recorded the first time: the council, the fact as stored, and where it is in the log."""

    council_id: uuid.UUID
    fact: dict[str, Any]
    occurred_on: str
    states: dict[str, str]
    deviation: dict[str, Any] | None
    position: int

    def recorded(self, code: str, fact: Fact, request_id: str) -> Recorded:
        """The answer to the request again: what it recorded then, flagged a duplicate (nothing recorded now)."""
        states = dict(self.states)
        stage = derive_stage(states)
        return Recorded(
            code,
            fact.describe(),
            fact.occurred_on,
            stage,
            states,
            0,
            self.deviation,
            self.position,
            request_id,
            duplicate=True,
        )


class RequestIndex:
    """Request id → the first fact recorded under it (council_registered or any other fact)."""

    def __init__(self, store: CouncilStore) -> None:
        self._store = store
        self.log = LogFollower(store, self._fold_notification, [event_topic(name) for name in FACT_EVENTS])
        self._seen: dict[tuple[str | None, str], EarlierRequest] = {}  # (actor, request id): ids are per actor

    def find(self, request_id: str, actor: str | None = None, *, refresh: bool = True) -> EarlierRequest | None:
        """The first fact `actor` recorded under `request_id`, reading the newest notifications first unless told not to
        (a caller that has just refreshed, as `InterventionEngine.record_many` does once for many facts)."""
        if refresh:
            self.refresh()
        return self._seen.get((actor, request_id))

    def answered_before(
        self, request_id: str | None, actor: str | None, council: str | None, fact: Fact, index: CouncilIndex
    ) -> Recorded | None:
        """What `actor`'s `request_id` recorded the first time, if it did (without reading the log: the caller has
        just refreshed). Request ids are the actor's own: another actor's id is never found, so its fact is never
        told; the same id again with another fact or council is refused (`RequestIdReused`)."""
        if request_id is None:
            return None
        earlier = self._seen.get((actor, request_id))
        if earlier is None:
            return None
        index.refresh()
        code = index.codes.get(earlier.council_id, str(earlier.council_id))
        same_council = council is None or index.find(council) == earlier.council_id
        if not same_council or earlier.fact != fact_to_data(fact):
            raise RequestIdReused(request_id, code, f"{earlier.fact.get('type')} on {earlier.occurred_on}")
        return earlier.recorded(code, fact, request_id)

    def refresh(self, latest: int | None = None) -> None:
        """Fold what was recorded since the last look (`latest`: the log's latest position, if just read)."""
        self.log.catch_up(latest)

    def saved(self, recordings: Sequence[Recording[Any]]) -> None:
        """Fold the events this process has just stored (`LogFollower.saved`)."""
        self.log.saved(recordings, self._fold)

    def _fold_notification(self, notification: Notification) -> None:
        if _MARKER in notification.state:  # only events recorded with metadata are decoded
            self._fold(self._store.mapper.to_domain_event(notification), notification.id)

    def _fold(self, event: Any, position: int) -> None:
        metadata = event.__dict__.get("metadata") or {}
        request_id, actor = metadata.get("request_id"), metadata.get("actor")
        if not isinstance(request_id, str) or (actor, request_id) in self._seen:
            return
        self._seen[(actor, request_id)] = EarlierRequest(
            event.originator_id,
            copy.deepcopy(event.fact),
            event.occurred_on,
            dict(event.states),
            copy.deepcopy(event.__dict__.get("deviation")),
            position,
        )
