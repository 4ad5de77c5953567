"""Two times of the record: when a thing happened (`occurred_on`, the world's date) and when the engine learnt it
(the event's `timestamp`, stamped in UTC by eventsourcing when the command was decided and saved).

"Where did Kirklees stand on 1 March, as we knew it on 1 April?" replays only the events recorded by the end of
1 April (`known_on`) and, of those, only what happened by the end of 1 March (`as_of`). A fact published in
February but recorded in May changes the answer known in May and not the one known in April. `as_of_version`
replays the council's stream up to a version (1 is its registration), the stream's own clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema

from ..dates import DAY_PATTERN
from ..errors import InterventionError
from ..persistence.projection import project_events

Instant = dt.date | dt.datetime


class InvalidQuery(InterventionError, ValueError):
    """A question about the record that cannot be answered as asked (one line, naming the option)."""


def recorded_by(known_on: Instant) -> dt.datetime:
    """The latest recording time `known_on` admits: the instant itself (UTC when it names no zone), or the last
    microsecond of the day, in UTC, for a date."""
    if isinstance(known_on, dt.datetime):
        return known_on if known_on.tzinfo is not None else known_on.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(known_on, dt.time.max, tzinfo=dt.UTC)


def parse_instant(text: str | None, option: str = "known_on") -> Instant | None:
    """A day (YYYY-MM-DD, standing for its end) or an instant (ISO 8601); `option` names it in a refusal."""
    if text is None:
        return None
    text = text.strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(
            f"{option} {text!r} is not a date (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SS, UTC unless it names "
            "an offset)"
        ) from None


def _readable(text: str) -> str:
    parse_instant(text)
    return text


# A `known_on` as a service receives it: checked with the request, its schema saying a date or a date-time.
KnownOnText = Annotated[
    str,
    AfterValidator(_readable),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": DAY_PATTERN},
                {"type": "string", "format": "date-time"},
            ]
        }
    ),
]


def check_query(as_of: dt.date | None, known_on: Instant | None, as_of_version: int | None) -> None:
    """Refuse what cannot be known: a question about a day asked before that day was over, a version below 1."""
    if known_on is not None and as_of is not None:
        known_day = recorded_by(known_on).date()
        if known_day < as_of:
            raise InvalidQuery(
                f"known_on {_text(known_on)} is before as_of {as_of.isoformat()}: nothing recorded by then can say "
                "where a council stood on a later day; give a known_on on or after as_of"
            )
    if as_of_version is not None and as_of_version < 1:
        raise InvalidQuery(f"as_of_version {as_of_version} names no event: a stream's versions start at 1")


def known_events(
    events: Iterable[Any], *, as_of: dt.date | None, known_on: Instant | None, as_of_version: int | None
) -> list[Any]:
    """The events, in stream order, that were recorded by `known_on`, are at or below `as_of_version` and happened
    by the end of `as_of` (each None: no limit). Facts are recorded in the order they happened, so each limit
    cuts the stream at one point and what is kept is a prefix of it."""
    latest = recorded_by(known_on) if known_on is not None else None
    day = as_of.isoformat() if as_of is not None else None
    kept: list[Any] = []
    for event in events:
        if as_of_version is not None and event.originator_version > as_of_version:
            break
        if latest is not None and event.timestamp > latest:
            break
        if day is not None and event.occurred_on > day:
            break
        kept.append(event)
    return kept


def replay(events: Iterable[Any]) -> Any:
    """The aggregate the events make (None for no events), projected as the store projects a stream
    (`persistence.projection.project_events`: a missing version is named, not raised as eventsourcing's error)."""
    return project_events(None, events)


def describe_limits(as_of: dt.date | None, known_on: Instant | None, as_of_version: int | None) -> str:
    """The limits in words, for a refusal ("known on 2024-04-01, at version 3")."""
    parts = [
        f"on {as_of.isoformat()}" if as_of is not None else "",
        f"known on {_text(known_on)}" if known_on is not None else "",
        f"at version {as_of_version}" if as_of_version is not None else "",
    ]
    return ", ".join(part for part in parts if part)


def _text(known_on: Instant) -> str:
    return known_on.isoformat()
