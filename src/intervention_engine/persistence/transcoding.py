"""A faster load path for stored events: eventsourcing's own JSON, decoded without its per-object hook, and a
leaner mapper (`CouncilStore` wires both in; `benchmarks/replay.py` measures them).

Why: eventsourcing's `JSONTranscoder` decodes with `object_hook`, a Python call for every JSON object of every
event (a FactRecorded event holds about five), only to find the few `{"_type_": ..., "_data_": ...}` objects that
stand for a datetime, a UUID or a Decimal. Council events hold plain JSON, so the only such objects are where
eventsourcing itself puts them: the event's `timestamp` and, in a snapshot, the aggregate's `_created_on` and
`_modified_on`. Its `Mapper` resolves the event class, its version and its id convertor again for every event.

How it stays correct: the stored format is unchanged (the stock transcoder reads what this one writes and the
other way round). Decoding parses with the C decoder, revives the encoded objects at those known places, and
counts them against the `"_type_"` strings in the text. Any other encoded object, anywhere, leaves the count
short, and the stock decoder (with its hook, its registered transcodings and its errors) decodes the text
instead. A plain dict that happens to have a `_type_` key also takes the stock path, so results never differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    Transcoding,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic

# Every object the stock encoder writes for a custom type has this key. Inside a JSON string a quote is escaped,
# so the pattern only appears where a whole string is `_type_` or ends with it: every real key, and at worst a
# false alarm that merely sends the text to the stock decoder. A key could hide only behind \u escapes of ASCII
# letters, which no JSON encoder writes unasked; texts with any `\u00` escape take the stock decoder too.
_MARKER = '"_type_"'
_ESCAPE = "\\u00"


class FastJSONTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder (same encoding, same transcodings) with a decoder that skips `object_hook`."""

    def __init__(self) -> None:
        super().__init__()
        # What `raw_decode` calls (the C scanner), less its own frame and `decode`'s two whitespace regexes.
        self._scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
        self._iso = False  # whether `datetime_iso` is eventsourcing's own `DatetimeAsISO` (`datetime.fromisoformat`)

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._iso = type(self.names.get("datetime_iso")) is DatetimeAsISO

    def decode(self, data: bytes) -> Any:
        text = data.decode("utf8")
        if _ESCAPE not in text:
            try:
                obj, end = self._scan(text, 0)
            except (StopIteration, ValueError):
                end = -1
            if end == len(text):
                expected = text.count(_MARKER)
                if expected == 0 or (expected == 1 and self._iso and _revive_timestamp(obj)):
                    return obj  # no encoded object, or only an event's timestamp (nearly every stored event)
                if type(obj) is dict and self._revive_known(obj) == expected:
                    return obj
        return self.decoder.decode(text)  # anything else: the stock decoder, with its hook and its errors

    def _revive_known(self, obj: dict[str, Any]) -> int:
        """Decode the encoded objects at the places eventsourcing uses; how many were decoded."""
        revived = self._revive(obj, "timestamp")
        state = obj.get("state")
        if type(state) is dict:
            revived += self._revive(state, "_created_on") + self._revive(state, "_modified_on")
        return revived

    def _revive(self, obj: dict[str, Any], key: str) -> int:
        value = obj.get(key)
        if type(value) is not dict or len(value) != 2:
            return 0
        name = value.get("_type_")
        transcoding = self.names.get(name) if type(name) is str else None
        if transcoding is None or "_data_" not in value:
            return 0
        # An encoded object nested in `_data_` is not revived here, so the count falls short and the stock decoder,
        # which decodes inside out, takes over.
        data = value["_data_"]
        try:
            obj[key] = transcoding.decode(data)
        except Exception:
            return 0  # the stock decoder raises its own error, in its own order
        return 1


def _revive_timestamp(obj: Any) -> bool:
    """Decode an event's `timestamp` where eventsourcing's `DatetimeAsISO` encoded it; whether it was."""
    if type(obj) is not dict:
        return False
    value = obj.get("timestamp")
    if type(value) is not dict or len(value) != 2 or value.get("_type_") != "datetime_iso":
        return False
    data = value.get("_data_")
    if type(data) is not str:
        return False
    try:
        obj["timestamp"] = datetime.fromisoformat(data)
    except ValueError:
        return False  # the stock decoder raises its own error
    return True


class FastMapper(Mapper[UUID]):
    """eventsourcing's mapper with the event class, its version and its id convertor looked up once per topic.

    With a cipher or a compressor configured it is the stock mapper.
    """

    def __init__(
        self, transcoder: Transcoder, compressor: Compressor | None = None, cipher: Cipher | None = None
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self._classes: dict[tuple[str, Hashable], tuple[type[Any], int, Callable[[UUID | str], UUID | str]]] = {}

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        if self.cipher is not None or self.compressor is not None:
            return super().to_domain_event(stored_event)
        event_class, attributes = self.event_state(
            stored_event.topic, stored_event.originator_id, stored_event.originator_version, stored_event.state
        )
        return self.event_of(event_class, attributes)

    def event_state(
        self, topic: str, originator_id: UUID | str, originator_version: int, state: bytes
    ) -> tuple[type[Any], dict[str, Any]]:
        """A stored event's class and its attributes (decoded, upcast, with its id and version), as
        `to_domain_event` gives them but without the event object (persistence/projection.py applies them)."""
        if self.cipher is not None or self.compressor is not None:
            event = super().to_domain_event(StoredEvent(originator_id, originator_version, topic, state))
            return type(event), event.__dict__
        key = (topic, cast(Hashable, type(originator_id)))
        try:
            cls, class_version, id_convertor = self._classes[key]
        except KeyError:
            cls = resolve_topic(topic)
            class_version = getattr(cls, "class_version", 1)
            id_convertor = find_id_convertor(cls, key[1])
            self._classes[key] = (cls, class_version, id_convertor)
        try:
            event_state: dict[str, Any] = self.transcoder.decode(state)
        except Exception as e:
            msg = (
                f"Failed to deserialise state of stored event with topic '{topic}', originator_id "
                f"'{originator_id}' and originator_version {originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        event_state["originator_id"] = id_convertor(originator_id)
        event_state["originator_version"] = originator_version
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        return cls, event_state

    @staticmethod
    def event_of(event_class: type[Any], attributes: dict[str, Any]) -> DomainEventProtocol[UUID]:
        """The event object of `event_state`'s class and attributes, as eventsourcing's `Mapper` builds it."""
        domain_event: DomainEventProtocol[UUID] = object.__new__(event_class)
        object.__setattr__(domain_event, "__dict__", attributes)
        return domain_event
