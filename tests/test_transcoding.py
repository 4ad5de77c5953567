"""The fast load path (persistence/: transcoding, store): it decodes exactly what eventsourcing's stock path decodes."""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import Application
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import Council, council_id
from intervention_engine.persistence.store import CouncilStore, project_events
from intervention_engine.persistence.transcoding import FastJSONTranscoder, FastMapper

from factories import inspection, registration

CODE = "382"
START = dt.date(2014, 1, 1)


def _registered(transcoder: JSONTranscoder) -> JSONTranscoder:
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


STOCK = _registered(JSONTranscoder())
FAST = _registered(FastJSONTranscoder())


def _outcome(transcoder: JSONTranscoder, data: bytes) -> object:
    """What decoding gives, types included (`repr`), or the type of error it raises."""
    try:
        return repr(transcoder.decode(data))
    except Exception as error:
        return type(error)


class _NoStockDecoder:
    def decode(self, text: str) -> Any:
        raise AssertionError(f"the stock decoder was used for {text}")


# ----------------------------------------------------------------------------------------------------------------
# The transcoder.


def test_event_state_round_trips_with_an_aware_timestamp() -> None:
    stamp = dt.datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
    state = {"timestamp": stamp, "fact": {"type": "action_plan_submitted"}, "states": {"judgement": "good"}}

    decoded = FAST.decode(FAST.encode(state))

    assert decoded == state
    assert isinstance(decoded["timestamp"], dt.datetime)
    assert decoded["timestamp"].tzinfo == dt.UTC


def test_snapshot_state_round_trips_its_datetimes() -> None:
    created, modified = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    state = {
        "timestamp": modified,
        "topic": "intervention_engine:Council",
        "state": {"_created_on": created, "_modified_on": modified, "code": "382", "inspections": [{"a": 1}]},
    }

    assert FAST.decode(FAST.encode(state)) == state


def test_known_places_are_decoded_without_the_stock_hook() -> None:
    fast = _registered(FastJSONTranscoder())
    fast.decoder = _NoStockDecoder()  # type: ignore[assignment]
    stamp = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    snapshot = {"timestamp": stamp, "state": {"_created_on": stamp, "_modified_on": stamp, "code": "382"}}

    assert fast.decode(STOCK.encode(snapshot)) == snapshot
    assert fast.decode(STOCK.encode({"timestamp": stamp, "occurred_on": "2024-03-01"}))["timestamp"] == stamp


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"timestamp": "2024-01-01", "id": uuid.UUID(int=7)}, id="uuid-elsewhere"),
        pytest.param(
            {"timestamp": dt.datetime(2024, 1, 1), "nested": [{"when": dt.datetime(2023, 1, 1)}]}, id="nested"
        ),
        pytest.param({"amount": Decimal("1.10"), "state": {"_created_on": Decimal("2")}}, id="decimal"),
        pytest.param({"timestamp": {"_type_": "not-encoded", "extra": 1}}, id="plain-dict-with-type-key"),
        pytest.param({'k"_type_': 1, "timestamp": dt.datetime(2024, 1, 1)}, id="key-ending-in-type"),
        pytest.param({"name": "Sant\u00e9 \u0001", "timestamp": dt.datetime(2024, 1, 1)}, id="escapes"),
    ],
)
def test_other_encoded_objects_decode_as_the_stock_transcoder_does(state: dict[str, Any]) -> None:
    data = STOCK.encode(state)

    assert FAST.decode(data) == STOCK.decode(data) == state


@dataclass(frozen=True)
class Span:
    start: dt.datetime
    end: dt.datetime


class SpanAsDict(Transcoding):
    """A transcoding whose payload holds encoded objects of its own (decoded inside out by the stock decoder)."""

    type = Span
    name = "span"

    def encode(self, obj: Span) -> dict[str, dt.datetime]:
        return {"start": obj.start, "end": obj.end}

    def decode(self, data: dict[str, dt.datetime]) -> Span:
        assert isinstance(data["start"], dt.datetime)
        return Span(data["start"], data["end"])


@dataclass(frozen=True)
class Point:
    x: int
    y: int


class PointAsList(Transcoding):
    type = Point
    name = "point"

    def encode(self, obj: Point) -> list[int]:
        return [obj.x, obj.y]

    def decode(self, data: list[int]) -> Point:
        return Point(*data)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(Span(dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 1)), id="nested-encoded-payload"),
        pytest.param(Point(1, 2), id="list-payload"),
    ],
)
def test_custom_transcodings_at_known_places_decode_as_stock(value: object) -> None:
    stock, fast = _registered(JSONTranscoder()), _registered(FastJSONTranscoder())
    for transcoder in (stock, fast):
        transcoder.register(SpanAsDict())
        transcoder.register(PointAsList())
    state = {"timestamp": value, "state": {"_created_on": value, "_modified_on": dt.datetime(2024, 1, 1)}}
    data = stock.encode(state)

    assert fast.decode(data) == stock.decode(data) == state


class DatetimeAsDay(Transcoding):
    """Another transcoding under the stock name `datetime_iso`: the shortcut for eventsourcing's own must not apply."""

    type = dt.datetime
    name = "datetime_iso"

    def encode(self, obj: dt.datetime) -> str:
        return obj.date().isoformat()

    def decode(self, data: str) -> dt.date:
        return dt.date.fromisoformat(data)


def test_a_timestamp_under_another_datetime_transcoding_decodes_as_stock() -> None:
    stock, fast = _registered(JSONTranscoder()), _registered(FastJSONTranscoder())
    for transcoder in (stock, fast):
        transcoder.register(DatetimeAsDay())
    data = stock.encode({"timestamp": dt.datetime(2024, 3, 1, 10, 30), "fact": "x"})

    assert fast.decode(data) == stock.decode(data) == {"timestamp": dt.date(2024, 3, 1), "fact": "x"}


def test_bytes_encoded_by_hand_with_a_type_key_decode_as_stock() -> None:
    looks_encoded = b'{"timestamp":{"_type_":"uuid_hex","_data_":"' + uuid.UUID(int=1).hex.encode() + b'"}}'
    unknown = b'{"timestamp":{"_type_":"nope","_data_":1}}'
    bad_date = b'{"a":{"_type_":"nope","_data_":1},"timestamp":{"_type_":"datetime_iso","_data_":"garbage"}}'

    assert FAST.decode(looks_encoded) == {"timestamp": uuid.UUID(int=1)}
    with pytest.raises(TranscodingNotRegisteredError):
        FAST.decode(unknown)
    assert _outcome(FAST, bad_date) == _outcome(STOCK, bad_date) == TranscodingNotRegisteredError


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-01-01","x":1}}', id="three-keys"),
        pytest.param(b'{"timestamp":{"_type_":"datetime_iso","x":1}}', id="no-data"),
        pytest.param(b'{"timestamp":{"_type_":["datetime_iso"],"_data_":"2024-01-01"}}', id="unhashable-name"),
        pytest.param(b'{"state":{"_modified_on":{"_data_":"2024-01-01","_type_":"datetime_iso"}}}', id="keys-swapped"),
        pytest.param(b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-01-01"},"_type_":1}', id="top-level"),
        pytest.param(b'{"_type_":"datetime_iso","_data_":"2024-01-01T10:00:00"}', id="whole-state-encoded"),
        pytest.param(b'[{"timestamp":{"_type_":"datetime_iso","_data_":"2024-01-01"}}]', id="not-a-dict"),
    ],
)
def test_odd_bytes_decode_as_stock(data: bytes) -> None:
    assert _outcome(FAST, data) == _outcome(STOCK, data)


def test_ascii_escaped_json_from_another_writer_decodes_as_stock() -> None:
    data = b'{"timestamp":{"\\u005ftype_":"datetime_iso","_data_":"2024-01-01T00:00:00+00:00"}}'

    assert FAST.decode(data) == STOCK.decode(data) == {"timestamp": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}


def test_malformed_json_raises_like_stock() -> None:
    for data in (b'{"a":1} x', b'{"a":', b" "):
        assert _outcome(FAST, data) == _outcome(STOCK, data) != repr(None)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_CUSTOM = (
    st.datetimes(timezones=st.none() | st.just(dt.UTC))
    | st.uuids()
    | st.decimals(allow_nan=False, allow_infinity=False)
)
_KEYS = st.sampled_from(["timestamp", "state", "_created_on", "_modified_on", "_type_", "_data_"]) | st.text()
_VALUES = st.recursive(
    _SCALARS | _CUSTOM,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=4))
def test_fast_decoding_equals_stock_decoding_for_any_state(state: dict[str, Any]) -> None:
    data = STOCK.encode(state)

    assert _outcome(FAST, data) == _outcome(STOCK, data)
    assert FAST.encode(state) == data


# ----------------------------------------------------------------------------------------------------------------
# The mapper.


class Toy(Aggregate):
    class Renamed(Aggregate.Event):
        class_version = 3
        name: str
        region: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["name"] = state.pop("old_name").title()

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["region"] = "unknown"


def _stored_v1_rename() -> StoredEvent:
    state = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-01-01T00:00:00+00:00"},"old_name":"kirklees"}'
    return StoredEvent(uuid.UUID(int=3).hex, 2, get_topic(Toy.Renamed), state)


def test_mapper_upcasts_and_converts_the_id_like_stock() -> None:
    stored = _stored_v1_rename()
    fast, stock = FastMapper(FAST).to_domain_event(stored), Mapper[uuid.UUID](STOCK).to_domain_event(stored)

    assert type(fast) is type(stock) is Toy.Renamed
    assert vars(fast) == vars(stock)
    assert fast.originator_id == uuid.UUID(int=3)
    assert (vars(fast)["name"], vars(fast)["region"]) == ("Kirklees", "unknown")


def test_mapper_with_a_compressor_round_trips() -> None:
    mapper = FastMapper(FAST, compressor=ZlibCompressor())
    fields: dict[str, Any] = {"originator_id": uuid.uuid4(), "originator_version": 2, "name": "x", "region": "y"}
    event = Toy.Renamed(timestamp=Toy.Event.create_timestamp(), **fields)

    assert vars(mapper.to_domain_event(mapper.to_stored_event(event))) == vars(event)


def test_projector_still_refuses_objects_that_cannot_mutate() -> None:
    with pytest.raises(AssertionError):
        project_events(None, [object()])  # type: ignore[type-var]


# ----------------------------------------------------------------------------------------------------------------
# The store, on SQLite.


class StockStore(CouncilStore):
    """The council store on eventsourcing's stock transcoder, mapper and repository."""

    construct_transcoder = Application.construct_transcoder
    construct_mapper = Application.construct_mapper
    construct_repository = Application.construct_repository


def _cycle(start: dt.date) -> Iterator[dict[str, Any]]:
    """One legal round of intervention, a fact a month: inadequate, notice, recovery, good."""
    facts: list[dict[str, Any]] = [
        inspection(start, "inadequate"),
        {"type": "action_plan_submitted"},
        {"type": "improvement_notice_issued"},
        {"type": "monitoring_visit_published"},
        {"type": "progress_review_completed", "outcome": "sufficient"},
        {"type": "improvement_notice_lifted"},
        {"type": "support_and_supervision_ended"},
        {"type": "statutory_direction_issued", "commissioner_review": True},
        {"type": "commissioner_reported", "recommendation": "retain"},
        {"type": "statutory_direction_revoked"},
    ]
    for month, fact in enumerate(facts):
        yield {"occurred_on": (start + dt.timedelta(days=30 * month)).isoformat(), **fact}
    yield inspection(start + dt.timedelta(days=30 * len(facts)), "good")


def _record_history(engine: InterventionEngine, cycles: int) -> None:
    engine.record(None, registration(CODE, on=START.isoformat()))
    for n in range(cycles):
        for fact in _cycle(START + dt.timedelta(days=30 + 400 * n)):
            engine.record(CODE, fact)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "engine.sqlite"


def _store(db: Path, *, snapshots: bool, store_class: type[CouncilStore] = CouncilStore) -> CouncilStore:
    env = Settings(backend="sqlite", db=db).eventsourcing_env()
    return store_class({**env, "IS_SNAPSHOTTING_ENABLED": "y" if snapshots else "n"})


def test_store_is_wired_to_the_fast_path_unless_settings_name_another(db: Path) -> None:
    env = Settings(backend="sqlite", db=db).eventsourcing_env()
    fast = CouncilStore(env)
    named = CouncilStore({**env, "TRANSCODER_TOPIC": "eventsourcing.persistence:JSONTranscoder"})

    assert isinstance(fast.mapper, FastMapper)
    assert isinstance(fast.mapper.transcoder, FastJSONTranscoder)
    assert type(named.mapper.transcoder) is JSONTranscoder


def test_a_council_reloaded_from_sqlite_equals_the_one_saved(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(START))
    saved: dict[uuid.UUID, Council] = {}
    save = engine.store.save

    def keep_a_copy(*aggregates: Any, **kwargs: Any) -> Any:
        recordings = save(*aggregates, **kwargs)
        saved.update({aggregate.id: copy.deepcopy(aggregate) for aggregate in aggregates})
        return recordings

    monkeypatch.setattr(engine.store, "save", keep_a_copy)
    _record_history(engine, cycles=2)
    engine.close()

    cold = _store(db, snapshots=False)
    loaded: Council = cold.repository.get(council_id(CODE))

    assert vars(loaded) == vars(saved[council_id(CODE)])
    assert isinstance(loaded.created_on, dt.datetime)
    assert loaded.created_on.tzinfo is not None
    assert isinstance(loaded.id, uuid.UUID)


def test_every_stored_event_decodes_as_the_stock_mapper_decodes_it(db: Path) -> None:
    engine = build_engine(Settings(backend="sqlite", db=db, snapshot_interval=5), clock=VirtualClock(START))
    _record_history(engine, cycles=1)
    engine.close()
    store = _store(db, snapshots=True)
    stock = Mapper[uuid.UUID](_registered(JSONTranscoder()))
    assert store.snapshots is not None

    for recorder in (store.recorder, store.snapshots.recorder):
        stored_events = recorder.select_events(council_id(CODE))
        assert stored_events
        for stored in stored_events:
            fast, slow = store.mapper.to_domain_event(stored), stock.to_domain_event(stored)
            assert type(fast) is type(slow)
            assert vars(fast) == vars(slow)
            assert isinstance(vars(fast)["timestamp"], dt.datetime)


def test_a_snapshot_of_a_long_stream_loads_to_the_same_state_as_a_full_replay(db: Path) -> None:
    engine = build_engine(Settings(backend="sqlite", db=db, snapshot_interval=7), clock=VirtualClock(START))
    _record_history(engine, cycles=4)
    engine.close()
    cid = council_id(CODE)
    with_snapshots, replay, stock = (
        _store(db, snapshots=True),
        _store(db, snapshots=False),
        _store(db, snapshots=False, store_class=StockStore),
    )
    assert with_snapshots.snapshots is not None
    latest = next(iter(with_snapshots.snapshots.get(cid, desc=True, limit=1)))

    from_snapshot: Council = with_snapshots.repository.get(cid)
    full: Council = replay.repository.get(cid)

    assert full.version > 7 * 5
    assert latest.originator_version > full.version - 7
    assert isinstance(vars(latest)["state"]["_created_on"], dt.datetime)
    assert vars(from_snapshot) == vars(full) == vars(stock.repository.get(cid))


def test_stock_eventsourcing_reads_what_the_fast_store_wrote(db: Path) -> None:
    engine = build_engine(Settings(backend="sqlite", db=db, snapshot_interval=4), clock=VirtualClock(START))
    _record_history(engine, cycles=1)
    engine.close()
    stock = StockStore(Settings(backend="sqlite", db=db).eventsourcing_env())
    snapshots = sqlite3.connect(db).execute("SELECT COUNT(*) FROM stored_snapshots").fetchone()[0]

    assert snapshots > 0
    assert vars(stock.repository.get(council_id(CODE))) == vars(
        _store(db, snapshots=False).repository.get(council_id(CODE))
    )
