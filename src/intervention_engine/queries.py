"""The engine's queries: where a council stands (now, at the end of a day, as known on a time, at a version), its
timeline and audit trail, deviations, pending timers, national counts, tidy exports and the event feed.

`InterventionEngine` takes them from `EngineQueries`; they read the store, the council index and the cache the
engine holds, and never record anything (a council read to answer is kept in the cache unchanged).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .aggregates.council import Council
from .clock import Clock
from .errors import CouncilNotFound
from .persistence.cache import CouncilCache
from .persistence.council_index import CouncilIndex, DueTimer
from .persistence.log import latest_position
from .persistence.store import CouncilStore
from .projections.audit import AuditEntry, audit_entry
from .projections.bitemporal import Instant, InvalidQuery, check_query, describe_limits, known_events, replay
from .projections.exports import ExportTable, store_table
from .projections.identity import council_identities
from .projections.national import NationalCount, national_counts
from .projections.status import council_at_end_of, council_status
from .projections.subscriptions import CouncilCodes, EventSubscription, RecordedEvent
from .projections.timeline import TimelineEntry, timeline_entry
from .results import CouncilStatus


class EngineQueries:
    """The read side of `InterventionEngine`."""

    store: CouncilStore
    clock: Clock
    index: CouncilIndex
    cache: CouncilCache
    _event_codes: CouncilCodes

    # ----------------------------------------------------------------------------------------------------------
    # Queries.

    def state(
        self,
        council: str,
        *,
        as_of: dt.date | None = None,
        known_on: Instant | None = None,
        as_of_version: int | None = None,
    ) -> CouncilStatus:
        """Where a council stands now, or at the end of the day `as_of` (a date in the world).

        At the end of a day, the timers due that day have fired (they fire when their day is over). `known_on` (a
        day, or an instant) answers as the record stood then, from the events recorded by that time only; it may
        not be before `as_of`. `as_of_version` answers from the council's stream up to that version.
        """
        cid = self._resolve(council)
        if known_on is not None or as_of_version is not None:
            return council_status(self._load_known(cid, as_of, known_on, as_of_version), as_of)
        aggregate = self.cache.take(cid) if as_of is None else self._load_as_of(cid, as_of)
        status = council_status(aggregate, as_of)
        if as_of is None:
            self.cache.keep(aggregate)  # read, not changed
        return status

    def council_as_of(self, council: str, on: dt.date) -> Council:
        """The council as its stored events say at the end of `on` (to read, not to decide: nothing is saved)."""
        return self._load_as_of(self._resolve(council), on)

    def deviations(self, council: str | None = None, *, as_of: dt.date | None = None) -> list[dict[str, Any]]:
        """Deviations from the policy in force, for one council or all, as recorded by `as_of` (or now)."""
        codes = [council] if council else [code for code, _ in self.councils()]
        found: list[dict[str, Any]] = []
        for code in codes:
            try:
                status = self.state(code, as_of=as_of)
            except CouncilNotFound:
                if council:
                    raise
                continue  # registered after as_of
            found += [{"council": status.council, "name": status.name, **d} for d in status.deviations]
        return sorted(found, key=lambda d: (d["occurred_on"], d["council"]))

    def timeline(
        self, council: str, *, known_on: Instant | None = None, as_of_version: int | None = None
    ) -> list[TimelineEntry]:
        """Every stored event of a council in order, in words; only those recorded by `known_on`, or up to
        `as_of_version`, when given."""
        cid = self._resolve(council)
        if known_on is None and as_of_version is None:
            return [timeline_entry(event) for event in self._events(cid)]
        events = self._known_events(cid, None, known_on, as_of_version)
        return [timeline_entry(event) for event in events]

    def audit(self, council: str) -> list[AuditEntry]:
        """Every stored event of a council with when it was recorded, by whom and under which request id."""
        return [audit_entry(event) for event in self._events(self._resolve(council))]

    # ----------------------------------------------------------------------------------------------------------
    # Subscriptions.

    def subscribe(self, from_position: int = 0, *, poll_interval: float = 0.2) -> EventSubscription:
        """Every event recorded after `from_position` (0: from the start), then each new one as it is recorded.

        Iterate over it (it waits for new events until `stop()` is called, from any thread); each event has its
        `position`. A host that keeps the position of the last event it handled resumes from there after a
        restart, missing and repeating nothing. Safe to use beside other calls: it reads the store on its own.
        """
        return EventSubscription(self.store, from_position, poll_interval=poll_interval)

    def events_after(self, position: int = 0, limit: int = 500) -> list[RecordedEvent]:
        """At most `limit` events recorded after `position`, without waiting (a page of the subscription)."""
        return EventSubscription(self.store, position, codes=self._event_codes).poll(limit)

    def last_position(self) -> int:
        """The position of the latest recorded event (0 when the store is empty)."""
        return latest_position(self.store)

    def due(self, until: dt.date | None = None) -> list[DueTimer]:
        """Pending timers across all councils due on or before `until` (all pending when None)."""
        return self.index.due(until)

    def national(
        self, days: Sequence[dt.date] | None = None, *, by_region: bool = False, councils_csv: Path | None = None
    ) -> list[NationalCount]:
        """Councils in each stage and with each grade on each date (default: 31 March of every year since 2014);
        `by_region`: one count per region and date (each council's region from its registration, or from the
        council identity table `councils_csv` where the registration names none)."""
        if days is None:
            days = [dt.date(year, 3, 31) for year in range(2014, self.clock.today().year + 1)]
        if not by_region:
            return national_counts(self.store, self.index, days)
        identities = council_identities(self.index, councils_csv)
        return national_counts(self.store, self.index, days, lambda cid: identities[cid].region)

    def export(
        self,
        table: str,
        *,
        until: dt.date | None = None,
        days: Sequence[dt.date] | None = None,
        councils_csv: Path | None = None,
        streamed: bool = False,
    ) -> ExportTable:
        """A tidy table of the store (`facts`, `events`, `states`, `timers`, `expectations`, `deviations`,
        `national`): its columns (docs/exports.md) and rows. `states` runs monthly to `until` (default today),
        `national` counts on `days` (default: 31 March of each year, as `national`); `councils_csv` gives ONS codes
        and regions that registrations lack. Write it with `projections.exports.write_export`. With `streamed` the
        rows are read from the store as they are taken: take them all (or close them) before using this engine for
        anything else, on one thread at a time."""
        today = self.clock.today()
        days = list(days) if days else [dt.date(year, 3, 31) for year in range(2014, today.year + 1)]
        return store_table(self.store, self.index, table, until=until or today, days=days, councils_csv=councils_csv,
                           streamed=streamed)  # fmt: skip

    def councils(self) -> list[tuple[str, str]]:
        self.index.refresh()
        return sorted((code, self.index.names[cid]) for cid, code in self.index.codes.items())

    # ----------------------------------------------------------------------------------------------------------
    # Finding and loading a council.

    def _resolve(self, council: str | None) -> uuid.UUID:
        if not council:
            raise self.index.not_found("")
        found = self.index.find(council)
        if found is None:
            raise self.index.not_found(council)
        return found

    def _events(self, cid: uuid.UUID) -> Iterator[Any]:
        return iter(self.store.events.get(cid))

    def _load_as_of(self, cid: uuid.UUID, as_of: dt.date) -> Council:
        aggregate = council_at_end_of(self._events(cid), as_of)
        if aggregate is None:
            code = self.index.codes.get(cid, str(cid))
            raise CouncilNotFound(code, len(self.index.codes), later=f"on {as_of.isoformat()}: it was registered later")
        return aggregate

    def _known_events(
        self, cid: uuid.UUID, as_of: dt.date | None, known_on: Instant | None, as_of_version: int | None
    ) -> list[Any]:
        check_query(as_of, known_on, as_of_version)
        events = list(self._events(cid))
        code = self.index.codes.get(cid, str(cid))
        if as_of_version is not None and events and as_of_version > events[-1].originator_version:
            raise InvalidQuery(
                f"council {code!r} has {events[-1].originator_version} versions; as_of_version {as_of_version} "
                "names none of them"
            )
        kept = known_events(events, as_of=as_of, known_on=known_on, as_of_version=as_of_version)
        if not kept:
            where = describe_limits(as_of, known_on, as_of_version)
            raise CouncilNotFound(code, len(self.index.codes), later=f"{where}: it was recorded later")
        return kept

    def _load_known(
        self, cid: uuid.UUID, as_of: dt.date | None, known_on: Instant | None, as_of_version: int | None
    ) -> Council:
        council: Council = replay(self._known_events(cid, as_of, known_on, as_of_version))
        return council
