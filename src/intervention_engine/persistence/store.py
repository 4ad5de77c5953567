"""The event store: an eventsourcing Application holding one stream per council."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import EventSourcingError, TDomainEvent, TMutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, Mapper, Recording, Transcoder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment, get_topic, strtobool

from ..aggregates.council import Council
from ..errors import StoreUnavailable
from .projection import StoredRow, project_rows
from .projection import project_events as project_events
from .transcoding import FastJSONTranscoder, FastMapper


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


class CouncilRepository(Repository[uuid.UUID]):
    """eventsourcing's repository, projecting with `project_events` unless a caller passes its own projector.

    The latest version of a council, on SQLite with the fast mapper and no aggregate cache (the engine keeps its
    own, persistence/cache.py), is loaded from its latest snapshot and the stored rows after it, applied without
    building event objects (projection.py): the cold load `benchmarks/replay.py` measures.
    """

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
            readers = self._row_readers(version)
            if readers is not None and isinstance(aggregate_id, uuid.UUID):
                return cast(TMutableOrImmutableAggregate, self._load(aggregate_id, *readers))
            projector_func = project_events
        return super().get(
            aggregate_id,
            version=version,
            projector_func=projector_func,
            fastforward_skipping=fastforward_skipping,
            deepcopy_from_cache=deepcopy_from_cache,
        )

    def _row_readers(self, version: int | None) -> tuple[CouncilRecorder, FastMapper] | None:
        """The recorder and mapper `_load` reads with, if `get` loads the latest version from bare rows."""
        recorder, mapper = self.event_store.recorder, self.event_store.mapper
        if version is None and not self.cache and isinstance(recorder, CouncilRecorder):
            return (recorder, mapper) if isinstance(mapper, FastMapper) else None
        return None

    def _load(self, aggregate_id: uuid.UUID, recorder: CouncilRecorder, mapper: FastMapper) -> Any:
        """The council at its latest version: its latest snapshot (if any), then every stored row after it."""
        snapshots = [] if self.snapshot_store is None else self.snapshot_store.get(aggregate_id, desc=True, limit=1)
        aggregate = project_events(None, snapshots)
        after = None if aggregate is None else aggregate.version
        aggregate = project_rows(aggregate, aggregate_id, recorder.select_stream(aggregate_id, after), mapper)
        if aggregate is None:
            raise AggregateNotFoundError(f"Aggregate {aggregate_id!r} version None not found.")
        return aggregate


class CouncilRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder, which also reads a council's stream as bare rows (`select_stream`) and turns
    each council id it reads from the notification log into a UUID once, not once per row (`UUID(text)` cost as
    much as fetching the row, benchmarks/replay.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ids: dict[str, uuid.UUID | str] = {}
        self._select_stream = (
            f"SELECT originator_version, topic, state FROM {self.events_table_name} WHERE originator_id=? "
        )

    def select_stream(self, originator_id: uuid.UUID, after: int | None = None) -> list[StoredRow]:
        """The version, topic and state of each stored event of `originator_id` (after version `after`), in order:
        `select_events` without a `StoredEvent` and a UUID per row (every row has the id asked for)."""
        statement, params = self._select_stream, [originator_id.hex]
        if after is not None:
            statement += "AND originator_version>? "
            params.append(str(after))
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement + "ORDER BY originator_version ASC", params)
            rows: list[StoredRow] = cursor.fetchall()
            return rows

    def convert_originator_id(self, originator_id: str) -> uuid.UUID | str:
        try:
            return self._ids[originator_id]
        except KeyError:
            converted = super().convert_originator_id(originator_id)
            if len(self._ids) >= _KNOWN_IDS:
                self._ids.clear()
            self._ids[originator_id] = converted
            return converted


# One round trip per save (postgres_recorder.py), named by topic: that module needs psycopg, the postgres extra.
POSTGRES_RECORDER_TOPIC = "intervention_engine.persistence.postgres_recorder:CouncilPostgresRecorder"

_KNOWN_IDS = 10_000  # far more councils than England has; a store of other streams starts again at this many


class LogMoved(IntegrityError):
    """A checked save refused: another writer had written after the log position its decisions were made on
    (`CouncilStore.save(log_at=...)`). Nothing was stored; the unit of work looks at the log and decides again."""


@dataclass
class SaveTimes:
    """The councils' saves this store made (each one transaction: encode, insert, commit) and the time they took:
    wall clock, and the CPU time of the thread that saved (health figures, benchmarks/service.py)."""

    count: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, seconds: float, cpu_seconds: float) -> None:
        self.count += 1
        self.seconds += seconds
        self.cpu_seconds += cpu_seconds


class CouncilStore(Application[uuid.UUID]):
    """Loads and saves Council aggregates; configured only by the settings it is given."""

    name = "InterventionEngine"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Council: 100}
    snapshotting_projectors: ClassVar[dict[type[Any], ProjectorFunction[Any, Any]]] = {Council: project_events}
    sqlite_recorder: ClassVar[type[SQLiteApplicationRecorder]] = CouncilRecorder  # unless settings name another

    def __init__(self, env: Mapping[str, str], snapshot_interval: int = 100) -> None:
        self.snapshotting_intervals = {Council: snapshot_interval}  # type: ignore[misc]
        self.saves = SaveTimes()
        super().__init__(env=dict(env))

    @property
    def checks_saves(self) -> bool:
        """Whether `save(log_at=...)` can refuse a save when the log has moved (PostgreSQL's recorder can)."""
        return bool(getattr(self.recorder, "checks_saves", False))

    def save(self, *objs: Any, log_at: int | None = None, **kwargs: Any) -> list[Recording[uuid.UUID]]:
        """eventsourcing's `save`; councils' events are collected without its per-object protocol checks, which
        cost as much as encoding the events (they walk the protocols' attributes on every call). With `log_at`
        (where `checks_saves`), the events are stored only if the log's latest position is still `log_at`: else
        `LogMoved`, and nothing is stored."""
        if kwargs or not objs or not all(type(obj) is Council for obj in objs):
            if log_at is not None:
                raise ValueError("a checked save (log_at) saves councils only, with no other options")
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[uuid.UUID] = ProcessingEvent()
        if log_at is not None and self.checks_saves:
            processing_event.saved_kwargs["log_at"] = log_at
        for council in objs:
            processing_event.events.extend(council.collect_events())
            processing_event.aggregates[council.id] = council
        started, cpu = time.perf_counter(), time.thread_time()
        recordings = self._record(processing_event)
        self.saves.add(time.perf_counter() - started, time.thread_time() - cpu)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # deprecated in eventsourcing, kept as its `save` does
        return recordings

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Deliberately ignore os.environ: the host's variables must never choose the backend.
        env = dict(env or {})
        if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
            env.setdefault("APPLICATION_RECORDER_TOPIC", get_topic(self.sqlite_recorder))
        elif env.get("PERSISTENCE_MODULE") == "eventsourcing.postgres":
            env.setdefault("APPLICATION_RECORDER_TOPIC", POSTGRES_RECORDER_TOPIC)
        return Environment(name, env)

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
