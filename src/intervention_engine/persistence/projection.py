"""Replaying a council's stream onto its aggregate: what eventsourcing's `project_aggregate` and each event's
`mutate` do, with what they look up for every event looked up once per event class (`CouncilStore` loads with
these; `benchmarks/replay.py` measures them).

`project_events` takes domain events, as `project_aggregate` does. `project_rows` takes a stream's stored rows as
the SQLite recorder reads them (version, topic, state) and applies each decoded state without building an event
object first: the cold load of a council, the engine's hottest read.

An event of an `@event` method whose class keeps eventsourcing's own `CanMutateAggregate.mutate` and
`DecoratedFuncCaller.apply` is applied as they apply it: check the id and that the version is the next one, call
the method with the event's attributes it names, then set the aggregate's version and `modified_on`. Any other
event (the `Created` event, a snapshot, a class that changes one of those steps) goes through its own `mutate`.
tests/test_transcoding.py loads streams both ways and fails if the two ever differ.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eventsourcing.domain import (
    CanMutateAggregate,
    CanMutateProtocol,
    DecoratedFuncCaller,
    OriginatorIDError,
    OriginatorVersionError,
    TDomainEvent,
    TMutableOrImmutableAggregate,
    decorated_funcs,
)

from ..errors import StoreUnavailable
from .transcoding import FastMapper

StoredRow = Sequence[Any]  # a stored event's version, topic and state (bytes), as the SQLite recorder reads them
Applier = tuple[Callable[..., None], tuple[str, ...]]  # the `@event` method and the names of its parameters
_UNSEEN: Any = object()
_APPLIERS: dict[type[Any], Applier | None] = {}


def project_events(
    aggregate: TMutableOrImmutableAggregate | None, domain_events: Iterable[TDomainEvent]
) -> TMutableOrImmutableAggregate | None:
    """eventsourcing's `project_aggregate`, with each event class examined once, not each event.

    On Python 3.11 `isinstance(event, CanMutateProtocol)` walks the protocol's attributes every time; it cost more
    than decoding the event (benchmarks/replay.py).
    """
    for domain_event in domain_events:
        applier = _APPLIERS.get(type(domain_event), _UNSEEN)
        if applier is _UNSEEN:
            assert isinstance(domain_event, CanMutateProtocol)
            applier = _applier(type(domain_event))
        attributes = domain_event.__dict__
        if applier is None or aggregate is None:
            aggregate = _mutate(aggregate, domain_event)
            continue
        originator_id = attributes["originator_id"]
        if originator_id is not aggregate.id and originator_id != aggregate.id:  # the same object, when loaded
            raise OriginatorIDError(originator_id, aggregate.id)
        _apply(aggregate, applier, attributes)
    return aggregate


def project_rows(aggregate: Any, originator_id: uuid.UUID, rows: Sequence[StoredRow], mapper: FastMapper) -> Any:
    """Apply a stream's stored rows (version, topic, state: those of `originator_id` alone, in order) onto
    `aggregate` (None: the stream from its first event); the aggregate they make."""
    for version, topic, state in rows:
        event_class, attributes = mapper.event_state(topic, originator_id, version, state)
        applier = _APPLIERS.get(event_class, _UNSEEN)
        if applier is _UNSEEN:
            applier = _applier(event_class)
        if applier is None or aggregate is None:
            aggregate = _mutate(aggregate, mapper.event_of(event_class, attributes))
        else:
            _apply(aggregate, applier, attributes)
    return aggregate


def _apply(aggregate: Any, applier: Applier, attributes: dict[str, Any]) -> None:
    """`CanMutateAggregate.mutate` with `DecoratedFuncCaller.apply`, for an event given by its attributes."""
    version = attributes["originator_version"]
    if version != aggregate.version + 1:
        raise _gap(aggregate, attributes)
    method, names = applier
    method(aggregate, **{name: attributes[name] for name in names if name in attributes})
    aggregate.version = version
    aggregate.modified_on = attributes["timestamp"]


def _mutate(aggregate: Any, event: Any) -> Any:
    try:
        return event.mutate(aggregate)
    except OriginatorVersionError:
        raise _gap(aggregate, event.__dict__) from None


def _applier(event_class: type[Any]) -> Applier | None:
    """The `@event` method that events of `event_class` apply and its parameters, if the class applies them exactly
    as eventsourcing's `mutate` and `apply` do (None: the event's own `mutate` applies it). Remembered per class."""
    method = decorated_funcs.get(event_class)
    stock = (
        method is not None
        and issubclass(event_class, DecoratedFuncCaller)
        and getattr(event_class, "mutate", None) is CanMutateAggregate.mutate
        and getattr(event_class, "apply", None) is DecoratedFuncCaller.apply
        and getattr(event_class, "_as_dict", None) is CanMutateAggregate._as_dict
        and _next_apply(event_class) is CanMutateAggregate.apply
    )
    applier = (method, tuple(inspect.signature(method).parameters)[1:]) if stock and method is not None else None
    _APPLIERS[event_class] = applier
    return applier


def _next_apply(event_class: type[Any]) -> Any:
    """The `apply` that `DecoratedFuncCaller.apply` calls last (`super().apply`): it must do nothing."""
    mro = event_class.__mro__
    for klass in mro[mro.index(DecoratedFuncCaller) + 1 :]:
        if "apply" in vars(klass):
            return vars(klass)["apply"]
    return None


def check_versions(code: str, events: Sequence[Any]) -> None:
    """Refuse council `code`'s stored `events` (its whole stream, in order) if one is missing, as projecting them
    would, before any of them is used."""
    for expected, event in enumerate(events, start=1):
        if event.__dict__["originator_version"] != expected:
            raise _missing(code, expected, event.__dict__["originator_version"])


def _gap(aggregate: Any, attributes: dict[str, Any]) -> StoreUnavailable:
    """A stream with an event missing: the council, the version missing and the version found in its place."""
    code = getattr(aggregate, "code", None) or attributes.get("code") or str(attributes.get("originator_id"))
    expected = (aggregate.version + 1) if aggregate is not None else 1
    return _missing(code, expected, attributes.get("originator_version"))


def _missing(code: str, expected: int, found: object) -> StoreUnavailable:
    return StoreUnavailable(
        f"council {code!r}: its stream lacks version {expected} (the next stored event is version {found})"
    )
