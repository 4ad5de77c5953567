"""The unit of work: load councils, have a command decided on them, and save every event it adds together.

The engine hands it a *decide* callback (given the unit of work's `load`, it returns the change to save) and gets
back the callback's answer; the unit of work never calls the engine. It owns the rest of a command's life:
- load: councils come from the `CouncilCache` (dropped as soon as the log shows another writer changed them), and
  one look at the log per command (or batch) also brings the `RequestIndex` and the engine's other trackers (the
  council index) up to date; inside it they ask the store nothing more (DESIGN section 3);
- stamp: each new event carries its command's actor, request id and trace id in `metadata` (the audit trail, which
  replay never reads);
- save: the events of one command, or of a batch of commands on different councils, in one transaction; the cache
  and the trackers are told what was stored without reading it back;
- decide again on conflict: each council's stream is versioned, so a save that another writer beat (eventsourcing's
  `IntegrityError`) is decided again on the state the winner left, up to `write_attempts` times, after a short
  jittered pause. A batch that loses a race has each of its commands decided again on its own.
A refused command (its callback raises) saves nothing, and the council it half-decided is never cached.
- look only when it matters: while this process seems to write alone, a look before saving is taken from memory
  and the save is checked instead (persistence/cache.py: one round trip less per command on PostgreSQL); a refusal
  decided on such a look is decided again after a real one if anybody else has written since.
"""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.persistence import IntegrityError, Recording

from ..aggregates.council import Council
from ..aggregates.identity import FACT_EVENTS
from ..errors import ConcurrentWriteConflict
from ..facts import Fact
from ..results import Recorded
from .cache import CouncilCache
from .log import Tracker
from .requests import RequestIndex
from .store import CouncilStore

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

Load = Callable[[uuid.UUID], Council]


@dataclass(frozen=True)
class RecordCommand:
    """One fact to record (`InterventionEngine.record_many`): the arguments of `InterventionEngine.record`."""

    council: str | None
    fact: Fact | Mapping[str, Any]
    strict: bool | None = None
    actor: str | None = None
    request_id: str | None = None  # the retry key: a repeat by the same actor records nothing new
    trace_id: str | None = None  # the caller's trace id (HTTP X-Request-ID), kept in the audit trail only


class Change(Protocol[T_co]):
    """What a decide callback hands back to be saved: a council with new events pending, and how to answer once
    they are stored (`position`: where the command's fact event is in the log; None when it added none)."""

    @property
    def council(self) -> Council: ...

    def answer(self, position: int | None, metadata: Mapping[str, str]) -> T_co: ...


@dataclass(frozen=True)
class Answered(Generic[T]):
    """What a decide callback hands back when the command is answered with nothing to save (a request id that
    recorded its fact before)."""

    answer: T


Decide = Callable[[Load], "Change[T] | Answered[T]"]


@dataclass
class Decision:
    """A fact decided on its council, with the council's new events not yet saved."""

    council: Council
    fact: Fact
    version: int  # the council's version before the command
    legal: bool
    inferred: tuple[str, ...] = ()  # facts the record implied, recorded before this one (policies/inference.py)

    def answer(self, position: int | None, metadata: Mapping[str, str]) -> Recorded:
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
            metadata.get("request_id"),
            inferred=self.inferred,
        )


def metadata_of(actor: str | None, request_id: str | None, trace_id: str | None = None) -> dict[str, str]:
    given = (("actor", actor), ("request_id", request_id), ("trace_id", trace_id))
    return {k: v for k, v in given if v is not None}


def options_of(command: RecordCommand) -> dict[str, Any]:
    """The keyword arguments of `InterventionEngine.record` that `command` carries beside its council and fact."""
    return {option: getattr(command, option) for option in ("strict", "actor", "request_id", "trace_id")}


def stamp(council: Council, metadata: Mapping[str, str]) -> None:
    """Give each of the council's unsaved events the command's actor and request id (the audit trail only)."""
    if metadata:
        for event in council.pending_events:
            object.__setattr__(event, "metadata", dict(metadata))  # read by the audit trail, never by replay


class UnitOfWork:
    """Loads, saves and decides again on conflict for one engine (not thread-safe: one caller at a time)."""

    def __init__(
        self, store: CouncilStore, *, write_attempts: int = 20, cache_size: int = 1000, trackers: Sequence[Tracker] = ()
    ) -> None:
        if write_attempts < 1:
            raise ValueError("write_attempts must be at least 1")
        self.store = store
        self.write_attempts = write_attempts
        self.write_conflicts = 0  # saves lost to another writer and decided again (a health figure)
        self.cache = CouncilCache(store, cache_size)  # councils between commands, refreshed from the store
        self.requests = RequestIndex(store)
        self.trackers: list[Tracker] = [self.requests, *trackers]

    @contextmanager
    def looked(self, *, saving: bool = False) -> Iterator[None]:
        """One look at the log for everything done inside: the councils loaded, the request ids answered and what
        the other trackers are asked (a council's code). `saving`: taken from memory while this process seems to
        write alone (`CouncilCache.checked`); then refusals decided inside stand only if `confirmed()`."""
        with self.cache.checked(saving=saving) as latest, ExitStack() as looks:
            for tracker in self.trackers:
                looks.enter_context(tracker.log.looked(latest))
            yield

    def record(self, decide: Decide[T], metadata: Mapping[str, str], subject: tuple[str, str]) -> T:
        """Decide one command and save its change; decided again while another writer saves the council first.

        `subject` (the council and what was being recorded) names the command if every attempt lost its race.
        """
        attempt = 0
        while attempt < self.write_attempts:
            try:
                with self.looked(saving=True):
                    try:
                        change = decide(self.cache.take)
                    except Exception:
                        if self.confirmed():
                            raise
                        # Decided on a look another writer had overtaken: decide again after a real look (the next
                        # one is: `confirmed` found the log moved). Not an attempt: nothing was saved or lost.
                        continue
                    if isinstance(change, Answered):
                        return change.answer
                    return change.answer(self.save([(change.council, metadata)]).get(change.council.id), metadata)
            except IntegrityError:
                self.write_conflicts += 1
                back_off(attempt)  # another writer saved this council first: decide again on its new state
                attempt += 1
        raise ConcurrentWriteConflict(*subject, self.write_attempts)

    def confirmed(self) -> bool:
        """Inside a look: whether refusals decided in it stand (`CouncilCache.confirm`)."""
        return self.cache.confirm()

    def batch(self, size: int) -> Batch[Any]:
        """Commands `0 .. size - 1` decided in order and saved together where their councils differ."""
        return Batch(self, size)

    def save(self, councils: Sequence[tuple[Council, Mapping[str, str]]]) -> dict[uuid.UUID, int]:
        """Stamp and save the councils' new events in one transaction; where each council's fact event is in the log
        (a fired timer alone has none). The cache and the request index learn what was stored."""
        for council, metadata in councils:
            stamp(council, metadata)
        log_at = self.cache.log_at
        checked = {} if log_at is None else {"log_at": log_at}
        try:
            recordings: list[Recording[uuid.UUID]] = self.store.save(*(council for council, _ in councils), **checked)
        except IntegrityError:  # another writer saved first (`LogMoved` included): the next look asks
            self.cache.doubt()
            raise
        self.cache.saved([council for council, _ in councils], [r.notification.id for r in recordings])
        for tracker in self.trackers:
            tracker.saved(recordings)
        positions: dict[uuid.UUID, int] = {}
        for recording in recordings:
            if type(recording.domain_event).__name__ in FACT_EVENTS:
                positions.setdefault(recording.domain_event.originator_id, recording.notification.id)
        return positions


@dataclass
class _Pending(Generic[T]):
    """A decided command of a batch waiting to be saved with the others."""

    index: int
    change: Change[T]
    decide: Decide[T]  # to decide it again on its own if the batch loses a race
    metadata: Mapping[str, str]
    subject: tuple[str, str]


class Batch(Generic[T]):
    """Commands decided one after another and saved in as few transactions as their order allows.

    At most one change per council waits at a time (`holds`: the caller saves first, so a second fact for a council
    is decided on the first one's saved state). Each command has its own outcome, an answer or the error that
    refused it; a refusal leaves the others alone. If another writer saved one of the councils first, each command
    of that transaction is decided again on its own (`UnitOfWork.record`).
    """

    def __init__(self, work: UnitOfWork, size: int) -> None:
        self._work = work
        self._pending: dict[uuid.UUID, _Pending[T]] = {}
        self._outcomes: list[T | Exception | None] = [None] * size

    def holds(self, council: uuid.UUID) -> bool:
        return council in self._pending

    def __bool__(self) -> bool:
        return bool(self._pending)

    def repeats(self, request_id: str | None, actor: str | None) -> bool:
        """Whether a change waiting here was made under `actor`'s `request_id` (save it first, so it is found)."""
        return request_id is not None and any(
            p.metadata.get("request_id") == request_id and p.metadata.get("actor") == actor
            for p in self._pending.values()
        )

    def add(self, index: int, decide: Decide[T], metadata: Mapping[str, str], subject: tuple[str, str]) -> None:
        """Decide command `index` now (an error it raises is the caller's); its change waits for `save`."""
        change = decide(self._work.cache.take)
        if isinstance(change, Answered):
            self._outcomes[index] = change.answer
        else:
            self._pending[change.council.id] = _Pending(index, change, decide, metadata, subject)

    def settle(self, index: int, outcome: T | Exception) -> None:
        """Command `index` answered, or refused, without a change to save."""
        self._outcomes[index] = outcome

    def save(self) -> None:
        """Save the changes waiting here in one transaction and set their outcomes."""
        if not self._pending:
            return
        pending = list(self._pending.values())
        self._pending.clear()
        try:
            positions = self._work.save([(item.change.council, item.metadata) for item in pending])
        except IntegrityError:
            self._work.write_conflicts += 1
            for item in pending:  # decided again one by one, each on the state another writer left
                try:
                    self._outcomes[item.index] = self._work.record(item.decide, item.metadata, item.subject)
                except Exception as error:
                    self._outcomes[item.index] = error
            return
        except Exception as error:  # nothing of this transaction was stored
            for item in pending:
                self._outcomes[item.index] = error
            return
        for item in pending:
            council = item.change.council
            self._outcomes[item.index] = item.change.answer(positions.get(council.id), item.metadata)

    def outcomes(self) -> list[T | Exception]:
        """Save what still waits; every command's outcome, in order."""
        self.save()
        return [outcome for outcome in self._outcomes if outcome is not None]


def back_off(attempt: int) -> None:
    """A short, growing, jittered pause before deciding again, so racing writers fall out of step."""
    time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
