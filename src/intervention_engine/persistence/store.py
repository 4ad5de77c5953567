"""The event store: an eventsourcing Application holding one stream per council."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from eventsourcing.application import Application, ProcessingEvent, ProjectorFunction, Repository, project_aggregate
from eventsourcing.domain import (
    CanMutateProtocol,
    EventSourcingError,
    OriginatorVersionError,
    TDomainEvent,
    TMutableOrImmutableAggregate,
)
from eventsourcing.persistence import Mapper, Recording, Transcoder
from eventsourcing.utils import Environment, strtobool

from ..aggregates.council import Council
from ..errors import StoreUnavailable
from .transcoding import FastJSONTranscoder, FastMapper

_MUTABLE_EVENT_CLASSES: set[type[Any]] = set()


def _driver_errors() -> tuple[type[Exception], ...]:
    """The database drivers' own errors, for those eventsourcing lets through unwrapped."""
    errors: list[type[Exception]] = [sqlite3.Error, EventSourcingError]
    try:
        import psycopg
        import psycopg_pool

        errors += [psycopg.Error, psycopg_pool.PoolTimeout]
    except ImportError:  # the postgres extra is not installed
        pass
    return tuple(errors)


STORE_ERRORS = _driver_errors()


def store_unavailable(error: BaseException) -> StoreUnavailable:
    """A failure of the store as a `StoreUnavailable` whose reason is one line (the driver's first line, bounded),
    naming what went wrong without a traceback."""
    if isinstance(error, StoreUnavailable):
        return error
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StoreUnavailable(f"{text[:300]} ({type(error).__name__})")


def project_events(
    aggregate: TMutableOrImmutableAggregate | None, domain_events: Iterable[TDomainEvent]
) -> TMutableOrImmutableAggregate | None:
    """eventsourcing's `project_aggregate`, with its protocol check made once per event class, not per event.

    On Python 3.11 `isinstance(event, CanMutateProtocol)` walks the protocol's attributes every time; it cost
    more than decoding the event (benchmarks/replay.py).
    """
    for domain_event in domain_events:
        if type(domain_event) not in _MUTABLE_EVENT_CLASSES:
            assert isinstance(domain_event, CanMutateProtocol)
            _MUTABLE_EVENT_CLASSES.add(type(domain_event))
        try:
            aggregate = domain_event.mutate(aggregate)  # type: ignore[attr-defined]
        except OriginatorVersionError:
            raise _gap(aggregate, domain_event) from None
    return aggregate


def _gap(aggregate: Any, event: Any) -> StoreUnavailable:
    """A stream with an event missing: the council, the version missing and the version found in its place."""
    code = getattr(aggregate, "code", None) or getattr(event, "code", None) or str(event.originator_id)
    expected = (aggregate.version + 1) if aggregate is not None else 1
    return StoreUnavailable(
        f"council {code!r}: its stream lacks version {expected} (the next stored event is version "
        f"{event.originator_version})"
    )


class CouncilRepository(Repository[uuid.UUID]):
    """eventsourcing's repository, projecting with `project_events` unless a caller passes its own projector."""

    def get(
        self,
        aggregate_id: uuid.UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[TMutableOrImmutableAggregate, TDomainEvent] = project_aggregate,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> TMutableOrImmutableAggregate:
        if projector_func is project_aggregate:
            projector_func = project_events
        return super().get(
            aggregate_id,
            version=version,
            projector_func=projector_func,
            fastforward_skipping=fastforward_skipping,
            deepcopy_from_cache=deepcopy_from_cache,
        )


class CouncilStore(Application[uuid.UUID]):
    """Loads and saves Council aggregates; configured only by the settings it is given."""

    name = "InterventionEngine"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Council: 100}
    snapshotting_projectors: ClassVar[dict[type[Any], ProjectorFunction[Any, Any]]] = {Council: project_events}

    def __init__(self, env: Mapping[str, str], snapshot_interval: int = 100) -> None:
        self.snapshotting_intervals = {Council: snapshot_interval}  # type: ignore[misc]
        super().__init__(env=dict(env))

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[uuid.UUID]]:
        """eventsourcing's `save`; councils' events are collected without its per-object protocol checks, which
        cost as much as encoding the events (they walk the protocols' attributes on every call)."""
        if kwargs or not objs or not all(type(obj) is Council for obj in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[uuid.UUID] = ProcessingEvent()
        for council in objs:
            processing_event.events.extend(council.collect_events())
            processing_event.aggregates[council.id] = council
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in eventsourcing, kept as its `save` does
        return recordings

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Deliberately ignore os.environ: the host's variables must never choose the backend.
        return Environment(name, dict(env or {}))

    # The load path (see transcoding.py): the stored bytes are eventsourcing's own JSON; only decoding is faster.
    # A transcoder or mapper named in the settings still wins, as in eventsourcing.

    def construct_transcoder(self) -> Transcoder:
        if self.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        if self.env.get(self.factory.MAPPER_TOPIC):
            return super().construct_mapper()
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=FastMapper)

    def construct_repository(self) -> Repository[uuid.UUID]:
        env = self.env
        cache_maxsize = env.get(self.AGGREGATE_CACHE_MAXSIZE)
        return CouncilRepository(
            event_store=self.events,
            snapshot_store=self.snapshots,
            cache_maxsize=int(cache_maxsize) if cache_maxsize else None,
            fastforward=strtobool(env.get(self.AGGREGATE_CACHE_FASTFORWARD, "y")),
            fastforward_skipping=strtobool(env.get(self.AGGREGATE_CACHE_FASTFORWARD_SKIPPING, "n")),
            deepcopy_from_cache=strtobool(env.get(self.DEEPCOPY_FROM_AGGREGATE_CACHE, "y")),
        )
