"""Councils and pending timers across all streams, folded incrementally from the notification log.

The index is a cache: it is rebuilt from the events whenever an engine starts, and each query reads only the
notifications recorded since the last one (`log.py`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Notification, Recording

from ..aggregates.council import event_topic
from ..council_identity import SUGGESTIONS, CouncilKeys
from ..errors import CouncilNotFound
from .log import LogFollower
from .store import CouncilStore

_FOLDED = ("Registered", "TimerScheduled", "TimerFired", "TimerCancelled", "TimerRescheduled")


@dataclass(frozen=True)
class DueTimer:
    """A pending timer of one council."""

    council: str
    council_name: str
    timer_id: str
    kind: str
    due_on: dt.date
    rule_id: str
    policy_version: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "due_on": self.due_on.isoformat()}


class CouncilIndex:
    """Which councils exist (code, name) and which timers are pending, across the whole store."""

    def __init__(self, store: CouncilStore) -> None:
        self._store = store
        self.log = LogFollower(store, self._fold, [event_topic(name) for name in _FOLDED])
        self.codes: dict[uuid.UUID, str] = {}
        self.names: dict[uuid.UUID, str] = {}
        self.ons_codes: dict[uuid.UUID, str | None] = {}  # from the registration fact, when it names them
        self.regions: dict[uuid.UUID, str | None] = {}
        self._lookup: dict[str, uuid.UUID] = {}  # casefolded code or name -> council
        self._keys: CouncilKeys[uuid.UUID] = CouncilKeys()  # names and codes as people type them
        self._pending: dict[tuple[uuid.UUID, str], dict[str, Any]] = {}

    def refresh(self, latest: int | None = None) -> None:
        """Fold what was recorded since the last look (`latest`: the log's latest position, if just read)."""
        self.log.catch_up(latest)

    def saved(self, recordings: Sequence[Recording[Any]]) -> None:
        """Fold the events this process has just stored (`LogFollower.saved`): a council registered here is
        found without reading the log."""
        self.log.saved(recordings, self._fold_event)

    def _fold(self, notification: Notification) -> None:
        self._fold_event(self._store.mapper.to_domain_event(notification), notification.id)

    def _fold_event(self, event: Any, position: int) -> None:
        cid, name = event.originator_id, type(event).__name__
        if name == "Registered":
            self.codes[cid], self.names[cid] = event.code, event.name
            self._lookup.setdefault(event.name.strip().casefold(), cid)
            self._lookup[event.code.strip().casefold()] = cid  # a code wins over another council's name
            fact = getattr(event, "fact", None) or {}
            self.ons_codes[cid], self.regions[cid] = fact.get("ons_code"), fact.get("region")
            names = [event.name, *(fact.get("also_known_as") or ())]
            self._keys.add(cid, names, [event.code, fact.get("ons_code") or "", fact.get("ofsted_urn") or ""])
        elif name == "TimerScheduled":
            self._pending[(cid, event.timer_id)] = {
                "kind": event.kind,
                "due_on": event.due_on,
                "rule_id": event.rule_id,
                "policy_version": event.policy_version,
            }
        elif name == "TimerRescheduled":
            self._pending[(cid, event.timer_id)]["due_on"] = event.due_on
        else:
            self._pending.pop((cid, event.timer_id), None)

    def find(self, council: str) -> uuid.UUID | None:
        """A council by code (any case) or by name (any case), else by its ONS code, Ofsted URN, or a name or
        `also_known_as` name as people type it (`council_identity.name_key`), when that names one council only.

        A registration is never undone or renamed, so a council already folded is answered without reading the
        store; only one not seen yet (registered since, perhaps by another process) reads the new notifications.
        """
        found = self._find(council)
        if found is None:
            self.refresh()
            found = self._find(council)
        return found

    def _find(self, council: str) -> uuid.UUID | None:
        found = self._lookup.get(council.strip().casefold())
        if found is None:
            matches = self._keys.matches(council)
            found = matches[0] if len(matches) == 1 else None
        return found

    def not_found(self, council: str) -> CouncilNotFound:
        """The error for a text that names no registered council, with the nearest as a did-you-mean."""
        return CouncilNotFound(council, len(self.codes), self.suggestions(council) if council.strip() else ())

    def suggestions(self, council: str) -> list[str]:
        """The registered councils nearest to a text that names none, as "Kirklees (382)": the did-you-mean."""
        return [f"{self.names[cid]} ({self.codes[cid]})" for cid in self._keys.nearest(council)[:SUGGESTIONS]]

    def due(self, until: dt.date | None = None) -> list[DueTimer]:
        """Pending timers due on or before `until` (all pending timers when `until` is None), by date."""
        self.refresh()
        limit = until.isoformat() if until else "9999-12-31"
        rows = [
            DueTimer(
                self.codes[cid],
                self.names[cid],
                timer_id,
                t["kind"],
                dt.date.fromisoformat(t["due_on"]),
                t["rule_id"],
                t["policy_version"],
            )
            for (cid, timer_id), t in self._pending.items()
            if t["due_on"] <= limit
        ]
        return sorted(rows, key=lambda row: (row.due_on, row.council, row.timer_id))
