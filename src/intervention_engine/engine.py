"""InterventionEngine: the one application surface that the Python API, the CLI and HTTP all call (decision 11).

It loads a council, asks it to decide, and saves every event of one command together, so a rejected fact or a
failed save leaves the stream exactly as it was. Time comes from the `Clock` it is given (decision 7).

Several processes may share one database (DESIGN section 3): each council's stream is versioned, so a command
that loses a race to save (eventsourcing's `IntegrityError`) is decided again on the state the winner left, and
recorded if the fact is still legal there. Each command's events carry the actor and the request id in their
`metadata`, which replay never reads; a request id seen before answers with what it recorded then.

Councils stay in memory between commands (`persistence/cache.py`: dropped as soon as the log shows another writer
changed them), and `record_many` saves the facts of different councils in one transaction: what lets a server
record hundreds of facts a second (benchmarks/service.py).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, Recording

from .aggregates.council import Council, council_id
from .aggregates.identity import FACT_EVENTS
from .calendar import WorkingDayCalendar
from .clock import Clock, VirtualClock
from .council_identity import DFE_CODE_PATTERN, check_new_council
from .errors import ConcurrentWriteConflict as ConcurrentWriteConflict
from .errors import CouncilNotFound, FactInFuture, InvalidFact
from .errors import RequestIdReused as RequestIdReused
from .facts import CouncilRegistered, Fact, fact_to_data, parse_fact
from .persistence.cache import CouncilCache
from .persistence.commands import Decision, Pending, metadata_of, options_of, repeats_request, stamp
from .persistence.commands import RecordCommand as RecordCommand
from .persistence.council_index import CouncilIndex, DueTimer
from .persistence.log import latest_position
from .persistence.requests import EarlierRequest, RequestIndex
from .persistence.store import CouncilStore
from .policies.reactions import FiredTimer
from .policies.registry import PolicyRegistry, default_registry
from .policies.rulebook import Rulebook, derive_stage
from .projections.audit import AuditEntry, audit_entry
from .projections.national import NationalCount, national_counts
from .projections.status import council_status
from .projections.subscriptions import CouncilCodes, EventSubscription, RecordedEvent
from .projections.timeline import TimelineEntry as TimelineEntry
from .projections.timeline import timeline_entry
from .results import CouncilStatus as CouncilStatus
from .results import Recorded as Recorded
from .results import TimerFiring as TimerFiring


def fires_on(due_on: dt.date) -> dt.date:
    """The day a timer due on `due_on` fires: the day after, when its own day is over (facts of that day first)."""
    return due_on + dt.timedelta(days=1)


class InterventionEngine:
    """Record facts, let timers fall due, and ask where each council stands."""

    def __init__(
        self,
        store: CouncilStore,
        *,
        clock: Clock,
        calendar: WorkingDayCalendar,
        policies: PolicyRegistry,
        rulebook: Rulebook,
        strict: bool = True,
        write_attempts: int = 20,
        timer_actor: str | None = None,
        cache_size: int = 1000,
        code_pattern: str | None = None,
    ) -> None:
        if write_attempts < 1:
            raise ValueError("write_attempts must be at least 1")
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.policies = policies
        self.rulebook = rulebook
        self.strict = strict
        self.write_attempts = write_attempts
        self.timer_actor = timer_actor
        self.code_pattern = re.compile(code_pattern) if code_pattern is not None else None  # None: any code
        self.write_conflicts = 0  # saves lost to another writer and decided again (a health figure)
        self.index = CouncilIndex(store)
        self.cache = CouncilCache(store, cache_size)  # councils between commands, refreshed from the store
        self.requests = RequestIndex(store)
        self._event_codes = CouncilCodes(store)  # council codes for the pages of `events_after`, read once

    @classmethod
    def in_memory(
        cls,
        *,
        clock: Clock,
        policies: PolicyRegistry | None = None,
        calendar: WorkingDayCalendar | None = None,
        strict: bool = True,
        code_pattern: str | None = DFE_CODE_PATTERN,
    ) -> InterventionEngine:
        """A sandbox: an engine on a fresh in-memory store, for replays, branches and counterfactuals.

        The library builds its sandboxes here, never through the composition root (`bootstrap`), which reads
        settings and sits above it. The defaults are `Settings`' own; a sandbox given another engine's `policies`
        and `calendar` decides as that engine would.
        """
        store = CouncilStore({"IS_SNAPSHOTTING_ENABLED": "y", "PERSISTENCE_MODULE": "eventsourcing.popo"})
        return cls(
            store,
            clock=clock,
            calendar=calendar or WorkingDayCalendar(),
            policies=policies or default_registry(),
            rulebook=Rulebook(),
            strict=strict,
            code_pattern=code_pattern,
        )

    # ----------------------------------------------------------------------------------------------------------
    # Commands.

    def record(
        self,
        council: str | None,
        fact: Fact | Mapping[str, Any],
        *,
        strict: bool | None = None,
        actor: str | None = None,
        request_id: str | None = None,
        trace_id: str | None = None,
    ) -> Recorded:
        """Record one fact for a council (by code or name); `council` may be None for council_registered.

        The council's timers due before the fact's date fire first, so its stream stays in world order. `actor`
        and `request_id` are stored with every event of the command (the audit trail); a `request_id` that already
        recorded this fact returns what it recorded then (`duplicate=True`) and records nothing.
        """
        fact = parse_fact(fact, where=f"council {council!r}" if council else "")
        self._check_not_in_future(council or "", fact)
        metadata = metadata_of(actor, request_id, trace_id)
        for attempt in range(self.write_attempts):
            try:
                with self.cache.checked() as latest:  # one look at the log for the council and the request index
                    self.requests.refresh(latest)
                    earlier = self._earlier_request(request_id, actor, council, fact)
                    if earlier is not None:
                        return earlier
                    if isinstance(fact, CouncilRegistered):
                        decision = self._register(council, fact)
                    else:
                        decision = self._decide(self._resolve(council), fact, strict)
                    return decision.recorded(self._save(decision.council, metadata), metadata.get("request_id"))
            except IntegrityError:
                self.write_conflicts += 1
                _back_off(attempt)  # another writer saved this council first: decide again on its new state
        raise ConcurrentWriteConflict(council or str(getattr(fact, "code", "")), fact.describe(), self.write_attempts)

    def record_many(self, commands: Sequence[RecordCommand]) -> list[Recorded | Exception]:
        """Record several facts, saving them together in as few transactions as their order allows.

        Each command is decided exactly as `record` would decide it, in order, and has its own outcome: what it
        recorded, or the error that refused it (the others are not affected). Facts for different councils share
        one transaction; a second fact for a council already in the transaction, a repeated request id or a
        registration first saves what is pending. If another writer saved one of these councils first, each fact
        of that transaction is decided again on its own, as `record` does. A server records the requests that
        queued while it was saving the last ones this way (service/gate.py): one commit for many facts.
        """
        with self.cache.checked() as latest:  # one look at the log for the councils and requests of every command
            self.requests.refresh(latest)
            return self._record_many(commands)

    def _record_many(self, commands: Sequence[RecordCommand]) -> list[Recorded | Exception]:
        outcomes: list[Recorded | Exception | None] = [None] * len(commands)
        batch: dict[uuid.UUID, Pending] = {}
        for n, command in enumerate(commands):
            try:
                fact = parse_fact(command.fact, where=f"council {command.council!r}" if command.council else "")
                self._check_not_in_future(command.council or "", fact)
                if repeats_request(batch, command):
                    self._save_batch(batch, outcomes, commands)  # so that the request index knows its fact
                earlier = self._earlier_request(command.request_id, command.actor, command.council, fact)
                if earlier is not None:
                    outcomes[n] = earlier
                    continue
                if isinstance(fact, CouncilRegistered):
                    cid = council_id(fact.code)
                else:
                    if batch and self.index.find(command.council or "") is None:  # registered in this batch?
                        self._save_batch(batch, outcomes, commands)
                    cid = self._resolve(command.council)
                if cid in batch:
                    self._save_batch(batch, outcomes, commands)
                if isinstance(fact, CouncilRegistered):
                    decision = self._register(command.council, fact)
                else:
                    decision = self._decide(cid, fact, command.strict)
                metadata = metadata_of(command.actor, command.request_id, command.trace_id)
                batch[decision.council.id] = Pending(n, decision, metadata)
            except Exception as error:  # the command's own outcome; the others go on
                outcomes[n] = error
        self._save_batch(batch, outcomes, commands)
        return [outcome for outcome in outcomes if outcome is not None]

    def _save_batch(
        self,
        batch: dict[uuid.UUID, Pending],
        outcomes: list[Recorded | Exception | None],
        commands: Sequence[RecordCommand],
    ) -> None:
        """Save the facts waiting in `batch` in one transaction and set their outcomes."""
        if not batch:
            return
        pending = list(batch.values())
        batch.clear()
        councils = [(item.decision.council, item.metadata) for item in pending]
        try:
            recordings = self._store(councils)
        except IntegrityError:
            self.write_conflicts += 1
            for item in pending:  # decided again one by one, each on the state another writer left
                command = commands[item.index]
                try:
                    outcomes[item.index] = self.record(command.council, command.fact, **options_of(command))
                except Exception as error:
                    outcomes[item.index] = error
            return
        except Exception as error:  # nothing of this transaction was stored
            for item in pending:
                outcomes[item.index] = error
            return
        positions = self._saved(councils, recordings)
        for item in pending:
            council = item.decision.council
            outcomes[item.index] = item.decision.recorded(positions.get(council.id), item.metadata.get("request_id"))

    def _decide(self, cid: uuid.UUID, fact: Fact, strict: bool | None) -> Decision:
        """Load the council, fire its timers due before the fact's date and decide the fact; nothing is saved."""
        aggregate = self.cache.take(cid)
        version = aggregate.version
        self._fire(aggregate, fact.occurred_on - dt.timedelta(days=1))
        ruling = aggregate.record(
            fact,
            rulebook=self.rulebook,
            policies=self.policies.in_force(fact.occurred_on),
            calendar=self.calendar,
            strict=self.strict if strict is None else strict,
        )
        return Decision(aggregate, fact, version, ruling.legal, ruling.inferred)

    def advance_to(self, day: dt.date) -> list[TimerFiring]:
        """Move a virtual clock to `day`, firing every timer whose day has passed, in date order (decision 7).

        A timer due on a day fires when that day is over, so a fact dated the same day still meets it: after
        `advance_to(d)`, timers due before `d` have fired and those due on `d` are pending.
        """
        if not isinstance(self.clock, VirtualClock):
            raise TypeError("advance_to needs a VirtualClock; a live engine calls fire_due(now) instead")
        fired = self.fire_due(day)
        self.clock.advance_to(day)
        return fired

    def fire_due(self, now: dt.date) -> list[TimerFiring]:
        """Fire every pending timer due before `now` (its day is over), across all councils, one day at a time."""
        fired: list[TimerFiring] = []
        while True:
            due = [timer for timer in self.index.due(now) if fires_on(timer.due_on) <= now]
            if not due:
                return fired
            first = due[0].due_on
            councils = list(dict.fromkeys(timer.council for timer in due if timer.due_on == first))
            fired += self._fire_councils(councils, first)

    def _fire_councils(self, codes: Sequence[str], until: dt.date) -> list[TimerFiring]:
        """Fire the councils' timers due by `until`, all saved in one transaction; if another writer saved one of
        them first, each council is fired again on its own (firing is idempotent)."""
        taken: list[tuple[Council, list[FiredTimer]]] = []
        with self.cache.checked():
            for code in codes:
                council = self.cache.take(council_id(code))
                taken.append((council, self._fire(council, until)))
        councils = [(council, self._timer_metadata()) for council, _ in taken]
        try:
            recordings = self._store(councils)
        except IntegrityError:
            self.write_conflicts += 1
            return [firing for code in codes for firing in self._fire_council(code, until)]
        self._saved(councils, recordings)
        return [_firing(code, timer) for code, (_, timers) in zip(codes, taken, strict=True) for timer in timers]

    def _fire(self, council: Council, until: dt.date) -> list[FiredTimer]:
        """Fire the council's timers due by `until` under the policies in force on each due date (not saved)."""
        policies, rulebook, calendar = self.policies.in_force, self.rulebook, self.calendar
        return council.fire_due(until, policies_on=policies, rulebook=rulebook, calendar=calendar)

    def _timer_metadata(self) -> dict[str, str]:
        """The audit trail of a firing: the scheduler's actor, and a request id of its own per council."""
        return {"actor": self.timer_actor, "request_id": f"timers:{uuid.uuid4()}"} if self.timer_actor else {}

    def _fire_council(self, code: str, until: dt.date) -> list[TimerFiring]:
        metadata = self._timer_metadata()
        for attempt in range(self.write_attempts):
            aggregate = self.cache.take(council_id(code))
            timers = self._fire(aggregate, until)
            try:
                self._save(aggregate, metadata)
            except IntegrityError:
                self.write_conflicts += 1
                _back_off(attempt)  # a fact was recorded meanwhile: fire again on the new state (firing is idempotent)
                continue
            return [_firing(code, timer) for timer in timers]
        raise ConcurrentWriteConflict(code, "timer firing", self.write_attempts)

    def _save(self, aggregate: Council, metadata: Mapping[str, str]) -> int | None:
        """Save the command's events, each carrying `metadata`; the log position of the fact's own event."""
        councils = [(aggregate, metadata)]
        return self._saved(councils, self._store(councils)).get(aggregate.id)

    def _store(self, councils: Sequence[tuple[Council, Mapping[str, str]]]) -> list[Recording[uuid.UUID]]:
        """Save the councils' new events in one transaction, each carrying its command's actor and request id."""
        for council, metadata in councils:
            stamp(council, metadata)
        return self.store.save(*(council for council, _ in councils))

    def _saved(
        self, councils: Sequence[tuple[Council, Mapping[str, str]]], recordings: Sequence[Recording[uuid.UUID]]
    ) -> dict[uuid.UUID, int]:
        """Tell the cache and the request index what was just stored; where each council's fact event is in the
        log (a fired timer alone has none)."""
        self.cache.saved([council for council, _ in councils], [r.notification.id for r in recordings])
        self.requests.saved(recordings)
        positions: dict[uuid.UUID, int] = {}
        for recording in recordings:
            if type(recording.domain_event).__name__ in FACT_EVENTS:
                positions.setdefault(recording.domain_event.originator_id, recording.notification.id)
        return positions

    def _earlier_request(
        self, request_id: str | None, actor: str | None, council: str | None, fact: Fact
    ) -> Recorded | None:
        """What `actor`'s `request_id` recorded the first time, if it did (the caller has just refreshed the index).
        Request ids are the actor's own: another actor's id is never found, so its fact is never told."""
        if request_id is None:
            return None
        earlier = self.requests.find(request_id, actor, refresh=False)
        if earlier is None:
            return None
        self.index.refresh()
        code = self.index.codes.get(earlier.council_id, str(earlier.council_id))
        same_council = council is None or self.index.find(council) == earlier.council_id
        if not same_council or earlier.fact != fact_to_data(fact):
            raise RequestIdReused(request_id, code, f"{earlier.fact.get('type')} on {earlier.occurred_on}")
        return _recorded_before(code, fact, earlier, request_id)

    def _register(self, council: str | None, fact: CouncilRegistered) -> Decision:
        """A new council, unless one with this code exists; nothing is saved."""
        if council is not None and council.strip().casefold() not in (
            fact.code.casefold(),
            fact.name.casefold(),
        ):
            raise InvalidFact(f"council {council!r}: council_registered names code {fact.code!r} ({fact.name})")
        check_new_council(fact.code, fact.name, self.index, self.code_pattern)
        return Decision(Council.register(fact, self.rulebook), fact, 0, legal=True)

    # ----------------------------------------------------------------------------------------------------------
    # Queries.

    def state(self, council: str, *, as_of: dt.date | None = None) -> CouncilStatus:
        """Where a council stands now, or at the end of the day `as_of` (a date in the world).

        At the end of a day, the timers due that day have fired (they fire when their day is over).
        """
        cid = self._resolve(council)
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

    def timeline(self, council: str) -> list[TimelineEntry]:
        """Every stored event of a council in order, in words."""
        return [timeline_entry(event) for event in self._events(self._resolve(council))]

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

    def national(self, days: Sequence[dt.date] | None = None) -> list[NationalCount]:
        """Councils in each stage and with each grade on each date (default: 31 March of every year since 2014)."""
        if days is None:
            days = [dt.date(year, 3, 31) for year in range(2014, self.clock.today().year + 1)]
        return national_counts(self.store, self.index, days)

    def councils(self) -> list[tuple[str, str]]:
        self.index.refresh()
        return sorted((code, self.index.names[cid]) for cid, code in self.index.codes.items())

    def close(self) -> None:
        self.store.close()

    # ----------------------------------------------------------------------------------------------------------

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
        limit = as_of.isoformat()
        aggregate: Council | None = None
        for event in self._events(cid):
            if event.occurred_on > limit:
                break
            aggregate = event.mutate(aggregate)
        if aggregate is None:
            code = self.index.codes.get(cid, str(cid))
            raise CouncilNotFound(code, len(self.index.codes), registered_after=limit)
        return aggregate

    def _check_not_in_future(self, council: str, fact: Fact) -> None:
        today = self.clock.today()
        if not isinstance(self.clock, VirtualClock) and fact.occurred_on > today:
            raise FactInFuture(council, fact.describe(), fact.occurred_on.isoformat(), today.isoformat())


def _firing(code: str, timer: FiredTimer) -> TimerFiring:
    return TimerFiring(code, timer.timer_id, timer.kind, timer.due_on, timer.rule_id)


def _recorded_before(code: str, fact: Fact, earlier: EarlierRequest, request_id: str) -> Recorded:
    states = dict(earlier.states)
    return Recorded(
        code,
        fact.describe(),
        fact.occurred_on,
        derive_stage(states),
        states,
        0,
        earlier.deviation,
        earlier.position,
        request_id,
        duplicate=True,
    )


def _back_off(attempt: int) -> None:
    """A short, growing, jittered pause before deciding again, so racing writers fall out of step."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
