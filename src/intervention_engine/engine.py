"""InterventionEngine: the one application surface that the Python API, the CLI and HTTP all call (decision 11).

The engine holds the use cases: what recording a fact, firing the timers due and asking where a council stands
mean in the domain. Each command is a decide callback handed to the unit of work (`persistence/unit_of_work.py`),
which loads the councils, saves every event of one command together (so a rejected fact or a failed save leaves
the stream exactly as it was), stamps them with the actor and request id, and decides again when another writer
saved the council first (DESIGN section 3). A request id seen before answers with what it recorded then. Time
comes from the `Clock` the engine is given (decision 7).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .aggregates.council import Council, council_id
from .calendar import WorkingDayCalendar
from .clock import Clock, VirtualClock
from .council_identity import DFE_CODE_PATTERN, check_new_council
from .errors import ConcurrentWriteConflict as ConcurrentWriteConflict
from .errors import FactInFuture, InvalidFact
from .errors import RequestIdReused as RequestIdReused
from .facts import CouncilRegistered, Fact, parse_fact
from .persistence.council_index import CouncilIndex
from .persistence.store import CouncilStore
from .persistence.unit_of_work import Answered, Batch, Decide, Decision, Load, UnitOfWork, metadata_of
from .persistence.unit_of_work import RecordCommand as RecordCommand
from .policies.reactions import FiredTimer
from .policies.registry import PolicyRegistry, default_registry
from .policies.rulebook import Rulebook
from .projections.subscriptions import CouncilCodes
from .projections.timeline import TimelineEntry as TimelineEntry
from .queries import EngineQueries
from .results import CouncilStatus as CouncilStatus
from .results import Recorded as Recorded
from .results import TimerFiring as TimerFiring


def fires_on(due_on: dt.date) -> dt.date:
    """The day a timer due on `due_on` fires: the day after, when its own day is over (facts of that day first)."""
    return due_on + dt.timedelta(days=1)


class InterventionEngine(EngineQueries):
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
        self.store = store
        self.clock = clock
        self.calendar = calendar
        self.policies = policies
        self.rulebook = rulebook
        self.strict = strict
        self.timer_actor = timer_actor
        self.code_pattern = re.compile(code_pattern) if code_pattern is not None else None  # None: any code
        self.index = CouncilIndex(store)
        self.work = UnitOfWork(store, write_attempts=write_attempts, cache_size=cache_size, trackers=[self.index])
        self.cache = self.work.cache  # councils between commands, refreshed from the store
        self._event_codes = CouncilCodes(store)  # council codes for the pages of `events_after`, read once

    @property
    def write_conflicts(self) -> int:
        """Saves lost to another writer and decided again (a health figure)."""
        return self.work.write_conflicts

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
        decide = self._decider(council, fact, strict, request_id, actor)
        return self.work.record(decide, metadata_of(actor, request_id, trace_id), _subject(council, fact))

    def record_many(self, commands: Sequence[RecordCommand]) -> list[Recorded | Exception]:
        """Record several facts, saving them together in as few transactions as their order allows.

        Each command is decided exactly as `record` would decide it, in order, and has its own outcome: what it
        recorded, or the error that refused it (the others are not affected). Facts for different councils share
        one transaction; a second fact for a council already in the transaction, a repeated request id or a
        registration first saves what is pending. If another writer saved one of these councils first, each fact
        of that transaction is decided again on its own, as `record` does. A server records the requests that
        queued while it was saving the last ones this way (service/gate.py): one commit for many facts.
        """
        outcomes: list[Recorded | Exception | None] = [None] * len(commands)
        start = 0
        while start < len(commands):
            start = self._record_from(commands, start, outcomes)
        return [outcome for outcome in outcomes if outcome is not None]

    def _record_from(
        self, commands: Sequence[RecordCommand], start: int, outcomes: list[Recorded | Exception | None]
    ) -> int:
        """Record `commands[start:]` in one batch under one look, setting their outcomes; where to go on from.

        A command refused on a look taken from memory stands only if a real look shows nobody else has written
        (`UnitOfWork.confirmed`); otherwise what came before it is saved (or decided again, one by one, if another
        writer overtook it) and the batch goes on from the refused command after a real look, in order."""
        with self.work.looked(saving=True):  # one look at the log for the councils and requests of every command
            batch: Batch[Recorded] = self.work.batch(len(commands) - start)
            for n in range(start, len(commands)):
                command = commands[n]
                try:
                    fact = parse_fact(command.fact, where=f"council {command.council!r}" if command.council else "")
                    self._check_not_in_future(command.council or "", fact)
                    if batch.repeats(command.request_id, command.actor):
                        batch.save()  # so that the request index knows its fact
                    earlier = self.work.requests.answered_before(
                        command.request_id, command.actor, command.council, fact, self.index
                    )
                    if earlier is not None:
                        batch.settle(n - start, earlier)
                        continue
                    if isinstance(fact, CouncilRegistered):
                        cid = council_id(fact.code)
                    else:
                        if batch and self.index.find(command.council or "") is None:  # registered in this batch?
                            batch.save()
                        cid = self._resolve(command.council)
                    if batch.holds(cid):
                        batch.save()
                    decide = self._decider(command.council, fact, command.strict, command.request_id, command.actor)
                    metadata = metadata_of(command.actor, command.request_id, command.trace_id)
                    batch.add(n - start, decide, metadata, _subject(command.council, fact))
                except Exception as error:  # the command's own outcome; the others go on
                    try:
                        upheld = self.work.confirmed()
                    except Exception as unconfirmed:  # the store cannot say: this command and the rest hear why
                        outcomes[start:n] = batch.outcomes()
                        outcomes[n:] = [unconfirmed] * (len(commands) - n)
                        return len(commands)
                    if not upheld:  # refused on a look another writer had overtaken
                        outcomes[start:n] = batch.outcomes()
                        return n
                    batch.settle(n - start, error)
            outcomes[start:] = batch.outcomes()
        return len(commands)

    def _decider(
        self, council: str | None, fact: Fact, strict: bool | None, request_id: str | None, actor: str | None
    ) -> Decide[Recorded]:
        """How the unit of work decides this fact, as often as it must: answer a request id seen before, or
        register the council, or load it and decide the fact on it (nothing is saved here)."""

        def decide(load: Load) -> Decision | Answered[Recorded]:
            earlier = self.work.requests.answered_before(request_id, actor, council, fact, self.index)
            if earlier is not None:
                return Answered(earlier)
            if isinstance(fact, CouncilRegistered):
                return self._register(council, fact)
            return self._decide(load(self._resolve(council)), fact, strict)

        return decide

    def _decide(self, aggregate: Council, fact: Fact, strict: bool | None) -> Decision:
        """Fire the council's timers due before the fact's date and decide the fact; nothing is saved."""
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
        with self.work.looked():
            batch: Batch[list[TimerFiring]] = self.work.batch(len(codes))
            for n, code in enumerate(codes):
                batch.add(n, self._firer(code, until), self._timer_metadata(), (code, "timer firing"))
            outcomes = batch.outcomes()
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
        return [firing for outcome in outcomes if not isinstance(outcome, Exception) for firing in outcome]

    def _firer(self, code: str, until: dt.date) -> Decide[list[TimerFiring]]:
        """How the unit of work fires a council's timers due by `until`, as often as it must (nothing is saved)."""

        def fire(load: Load) -> Firing:
            council = load(council_id(code))
            return Firing(council, [_firing(code, timer) for timer in self._fire(council, until)])

        return fire

    def _fire(self, council: Council, until: dt.date) -> list[FiredTimer]:
        """Fire the council's timers due by `until` under the policies in force on each due date (not saved)."""
        policies, rulebook, calendar = self.policies.in_force, self.rulebook, self.calendar
        return council.fire_due(until, policies_on=policies, rulebook=rulebook, calendar=calendar)

    def _timer_metadata(self) -> dict[str, str]:
        """The audit trail of a firing: the scheduler's actor, and a request id of its own per council."""
        return {"actor": self.timer_actor, "request_id": f"timers:{uuid.uuid4()}"} if self.timer_actor else {}

    def _register(self, council: str | None, fact: CouncilRegistered) -> Decision:
        """A new council, unless one with this code exists; nothing is saved."""
        if council is not None and council.strip().casefold() not in (
            fact.code.casefold(),
            fact.name.casefold(),
        ):
            raise InvalidFact(f"council {council!r}: council_registered names code {fact.code!r} ({fact.name})")
        check_new_council(fact.code, fact.name, self.index, self.code_pattern)
        return Decision(Council.register(fact, self.rulebook), fact, 0, legal=True)

    def close(self) -> None:
        self.store.close()

    def _check_not_in_future(self, council: str, fact: Fact) -> None:
        today = self.clock.today()
        if not isinstance(self.clock, VirtualClock) and fact.occurred_on > today:
            raise FactInFuture(council, fact.describe(), fact.occurred_on.isoformat(), today.isoformat())


def _firing(code: str, timer: FiredTimer) -> TimerFiring:
    return TimerFiring(code, timer.timer_id, timer.kind, timer.due_on, timer.rule_id)


def _subject(council: str | None, fact: Fact) -> tuple[str, str]:
    """The council and the fact a command that lost every race names."""
    return council or str(getattr(fact, "code", "")), fact.describe()


@dataclass
class Firing:
    """A council's timers fired, not yet saved, and the firings to answer with once they are."""

    council: Council
    fired: list[TimerFiring]

    def answer(self, position: int | None, metadata: Mapping[str, str]) -> list[TimerFiring]:
        return self.fired
