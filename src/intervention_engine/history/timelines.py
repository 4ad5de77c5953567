"""Importer of research timelines in the free-text YAML format of `../shared/data/timelines/*.yaml`.

Research notes are messy, so the importer is forgiving but never silent:

- the council is named as people write it (`la_key: tower_hamlets`, `council: Kirklees Council`, a DfE or ONS
  code), matched by `history.council_names`; a name that matches nothing fails with a did-you-mean;
- event types become facts by the built-in vocabulary (`history.vocabulary`), which a mapping file extends or
  overrides; every other event becomes a `note_recorded` fact on the council's timeline and is counted in the
  import's report (`unknown_types`), never dropped;
- a date known only to the month, quarter or year keeps its precision and is placed at the earliest day
  consistent with its place in the file (`history.partial_dates`), so it never reorders the file's events;
- facts arrive in whatever order the sources give them, so they are recorded in lenient mode: a move the rulebook
  would not expect (a commissioner before any direction) is recorded with a deviation and the states follow it.

Some facts need a reading of the event's `detail` text (whether a direction appoints a commissioner, what a
commissioner recommended, the form of a trust); each reading is a documented keyword rule in `history.reading`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import Node

from ..engine import InterventionEngine, Recorded
from ..errors import InvalidFact, InvalidImport
from ..facts import CouncilRegistered, Fact, parse_fact
from .council_names import CouncilDirectory, UnknownCouncil, directory_of
from .ofsted_csv import council_registration
from .partial_dates import Placed, UnreadableDate, place_all
from .research_facts import OpenInstruments, read_event
from .vocabulary import BUILT_IN, TypeMapping, type_key
from .yaml_source import item_lines, locate, read_yaml

TIMELINE_REGISTERED_ON = dt.date(2000, 1, 1)  # before any timeline's first event (Surrey's: 2008)


@dataclass
class TimelineImport:
    """A research timeline read into facts, with what could not be expressed as anything but a note."""

    path: Path
    registration: CouncilRegistered
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "line N: type" (and why, when not by its type)
    unknown_types: Counter[str] = field(default_factory=Counter)
    placed: list[str] = field(default_factory=list)  # "line N: 2017-03 placed on 2017-03-01 (month: first day)"
    assumptions: list[str] = field(default_factory=list)  # "line N: no fieldwork dates: ..."


def read_timeline(
    path: Path, councils_path: Path | CouncilDirectory | None = None, mapping: Mapping[str, TypeMapping] | None = None
) -> TimelineImport:
    """Read a research timeline, with the types of `mapping` (see `load_mapping`) over the built-in ones.

    A malformed file fails with its line, and nothing is recorded from it."""
    root, data = _load(path)
    events, lines = data["events"], item_lines(root, "events")
    for event, line in zip(events, lines, strict=True):
        if not isinstance(event, dict):
            raise InvalidImport(f"{path}, line {line}: an event is a mapping (date, type, detail, source, ...)")
    identity = _identity(path, root, data, directory_of(councils_path or path.parent.parent / "councils.csv"))
    vocabulary = {**BUILT_IN, **(mapping or {})}
    found = TimelineImport(path, identity)
    tracker = OpenInstruments()
    placed: list[tuple[dt.date, int, Fact]] = []
    days = _place(path, events, lines, found)
    for index, (event, line, day) in enumerate(zip(events, lines, days, strict=True)):
        fact = _fact(_Where(path, line, found), event, day, vocabulary, tracker)
        placed.append((day.day, index, fact))
    found.facts = [fact for _, _, fact in sorted(placed, key=lambda item: (item[0], item[1]))]
    return found


def is_research_timeline(path: Path) -> bool:
    """A YAML file in the research format (top-level `la_key`, or `council` named in words), not a scenario file."""
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return any(
        line.startswith("la_key:") or (line.startswith("council:") and line.removeprefix("council:").strip())
        for line in head.splitlines()
    )


def timeline_report(found: TimelineImport) -> dict[str, Any]:
    """What an import kept as notes, what it did not know, how it placed partial dates and what it assumed."""
    return {
        "file": str(found.path),
        "council": found.registration.code,
        "facts": len(found.facts),
        "kept_as_notes": found.notes,
        "unknown_types": dict(found.unknown_types.most_common()),
        "partial_dates": found.placed,
        "assumptions": found.assumptions,
    }


def import_timeline(engine: InterventionEngine, found: TimelineImport, until: dt.date | None = None) -> list[Recorded]:
    """Record a read timeline in lenient mode (registering the council if it is new), up to `until` if given."""
    recorded = []
    if not any(code == found.registration.code for code, _ in engine.councils()):
        recorded.append(engine.record(None, found.registration))
    for fact in found.facts:
        if until is None or fact.occurred_on <= until:
            recorded.append(engine.record(found.registration.code, fact, strict=False))
    return recorded


def _load(path: Path) -> tuple[Node | None, dict[str, Any]]:
    node, data = read_yaml(path, InvalidImport)
    named = isinstance(data, dict) and (data.get("la_key") or data.get("council"))
    if not named or not isinstance(data.get("events"), list):
        raise InvalidImport(f"{path}, line 1: a timeline needs `la_key` or `council` and a list of `events`")
    return node, data


def _identity(path: Path, root: Node | None, data: Mapping[str, Any], directory: CouncilDirectory) -> CouncilRegistered:
    """The council the file's `la_key` and `council` name; both, when given, must name the same one."""
    rows: dict[str, dict[str, str]] = {}
    for key in ("la_key", "council"):
        if not data.get(key):
            continue
        line, _ = locate(root, (key,))
        try:
            rows[key] = directory.resolve(str(data[key]))
        except UnknownCouncil as error:
            raise UnknownCouncil(f"{path}, line {line}, field {key}: {error}") from None
    codes = {row["la_code"].strip() for row in rows.values()}
    if len(codes) > 1:
        names = " and ".join(f"{key} names {row['local_authority_ons_name']} ({row['la_code']})"
                             for key, row in rows.items())  # fmt: skip
        raise UnknownCouncil(f"{path}, line 1: the file names two councils: {names}")
    row = next(iter(rows.values()))
    return council_registration(row, directory.table, on=TIMELINE_REGISTERED_ON)


@dataclass(frozen=True)
class _Where:
    path: Path
    line: int
    found: TimelineImport

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}"


def _place(path: Path, events: list[dict[str, Any]], lines: tuple[int, ...], found: TimelineImport) -> list[Placed]:
    texts = [str(event.get("date", "")).strip() for event in events]
    try:
        days = place_all(list(zip(lines, texts, strict=True)))
    except UnreadableDate as error:
        raise InvalidImport(f"{path}, line {error.line}, field date: {error.text!r} is not a date (YYYY-MM-DD, "
                            "YYYY-MM, YYYY-Qn or YYYY)") from None  # fmt: skip
    found.placed += [f"line {line}: {day.how}" for line, day in zip(lines, days, strict=True) if day.how]
    return days


def _fact(
    where: _Where, event: Mapping[str, Any], day: Placed, vocabulary: Mapping[str, TypeMapping],
    tracker: OpenInstruments,
) -> Fact:  # fmt: skip
    kind = type_key(str(event.get("type", "") or ""))
    reading = read_event(kind, vocabulary.get(type_key(kind)), event, day.day, tracker)
    found = where.found
    common: dict[str, Any] = {"occurred_on": day.day.isoformat(), "date_precision": day.precision.value}
    common["source"] = str(event["source"]) if event.get("source") else None
    if event.get("confidence") in ("high", "medium", "low"):
        common["confidence"] = event["confidence"]
    if reading.kept_as_note is not None:
        found.notes.append(f"line {where.line}: {kind or '(no type)'}" + (f" ({reading.kept_as_note})"
                                                                          if reading.kept_as_note else ""))  # fmt: skip
        if reading.unknown:
            found.unknown_types[kind or "(no type)"] += 1
    else:
        said = [str(event["detail"])] if event.get("detail") else []
        common["note"] = "; ".join([*said, *filter(None, [reading.note_extra])]) or None
    found.assumptions += [f"line {where.line}: {assumption}" for assumption in reading.assumptions]
    try:
        fact = parse_fact({**reading.data, **{k: v for k, v in common.items() if v is not None}}, where=str(where))
    except InvalidFact as error:
        raise InvalidImport(str(error)) from None
    tracker.follow(fact.describe(), where.line)
    return fact
