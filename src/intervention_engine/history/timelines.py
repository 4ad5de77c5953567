"""Importer of research timelines in the free-text YAML format of `../shared/data/timelines/*.yaml`.

Research notes are messy, so the importer is forgiving but never silent:

- event types it knows become facts; every other event becomes a `note_recorded` fact on the council's timeline
  and is listed in the import's report (`unknown_types`), never dropped;
- a date known only to the month, quarter or year keeps its precision and is placed by ONE rule: on the first day
  of its period, or, when the event before it in the file falls later within that period, on that event's date
  (so the file's order is kept); events are then recorded in date order, file order breaking ties;
- facts arrive in whatever order the sources give them, so they are recorded in lenient mode: a move the rulebook
  would not expect (a commissioner before any direction) is recorded with a deviation and the states follow it.

A few facts need a reading of the event's `detail` text (whether a direction appoints a commissioner, what a
commissioner recommended, the form of a trust); each reading is a documented keyword rule in `_read_detail`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..calendar import add_months
from ..engine import InterventionEngine, Recorded
from ..errors import InvalidFact, InvalidImport
from ..facts import CouncilRegistered, DatePrecision, Fact, parse_fact, parse_partial_date
from .ofsted_csv import council_registration, read_councils
from .yaml_source import item_lines, read_yaml

_GRADE_KEYS = {
    "overall_effectiveness": "overall",
    "help_and_protection": "help_and_protection",
    "children_looked_after_and_permanence": "children_in_care",
    "children_in_care": "children_in_care",
    "leadership_management_governance": "leadership",
    "impact_of_leaders": "leadership",
    "adoption_performance": "adoption",
    "care_leavers": "care_leavers",
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}
_SIMPLE = {
    "action_plan_submitted": "action_plan_submitted",
    "dfe_improvement_notice": "improvement_notice_issued",
    "dfe_improvement_notice_lifted": "improvement_notice_lifted",
    "dfe_direction_lifted": "statutory_direction_revoked",
    "commissioner_appointed": "commissioner_appointed",
    "adm_go_live": "alternative_delivery_live",
}
# Known to the research format but not facts of the engine: kept as notes, not reported as unknown.
_NOTES = {
    "pre_sif_judgement", "action_plan_due", "adm_incorporated", "adm_restructured", "commissioner_replaced",
    "commissioner_withdrawn", "dclg_intervention", "independent_inquiry", "intervention_exit_proposed",
    "improvement_partner_appointed",
}  # fmt: skip

TIMELINE_REGISTERED_ON = dt.date(2000, 1, 1)  # before any timeline's first event (Surrey's: 2008)


@dataclass
class TimelineImport:
    """A research timeline read into facts, with what could not be expressed as anything but a note."""

    path: Path
    registration: CouncilRegistered
    facts: list[Fact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "line N: type"
    unknown_types: Counter[str] = field(default_factory=Counter)
    placed: list[str] = field(default_factory=list)  # "line N: 2017-03 placed on 2017-03-01"


def read_timeline(path: Path, councils_path: Path | None = None) -> TimelineImport:
    """Read a research timeline; a malformed file fails with its line, and nothing is recorded from it."""
    events, lines, la_key = _load(path)
    identity = _identity(path, la_key, councils_path or path.parent.parent / "councils.csv")
    found = TimelineImport(path, identity)
    tracker = _OpenInstruments()
    previous = dt.date.min
    placed: list[tuple[dt.date, int, Fact]] = []
    for index, (event, line) in enumerate(zip(events, lines, strict=True)):
        day, precision = _place(path, line, event, previous, found)
        previous = day
        fact = _fact(path, line, event, day, precision, tracker, found)
        placed.append((day, index, fact))
    found.facts = [fact for _, _, fact in sorted(placed, key=lambda item: (item[0], item[1]))]
    return found


def is_research_timeline(path: Path) -> bool:
    """A YAML file in the research format (top-level `la_key`), as opposed to a scenario file."""
    try:
        head = path.read_text(encoding="utf-8")[:4000]
    except OSError:
        return False
    return any(line.startswith("la_key:") for line in head.splitlines())


def timeline_report(found: TimelineImport) -> dict[str, Any]:
    """What an import kept as notes, what it did not know, and how it placed partial dates."""
    return {
        "file": str(found.path),
        "council": found.registration.code,
        "facts": len(found.facts),
        "kept_as_notes": found.notes,
        "unknown_types": dict(found.unknown_types),
        "partial_dates": found.placed,
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


def _load(path: Path) -> tuple[list[Mapping[str, Any]], list[int], str]:
    node, data = read_yaml(path, InvalidImport)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list) or not data.get("la_key"):
        raise InvalidImport(f"{path}, line 1: a timeline needs `la_key` and a list of `events`")
    return data["events"], list(item_lines(node, "events")), str(data["la_key"])


def _identity(path: Path, la_key: str, councils_path: Path) -> CouncilRegistered:
    for row in read_councils(councils_path).values():
        names = {row.get("ofsted_ilacs_scrape_la_name", ""), row.get("local_authority_ons_name", "")}
        if la_key.strip().casefold() in {name.strip().casefold() for name in names}:
            return council_registration(row, councils_path.name, on=TIMELINE_REGISTERED_ON)
    raise InvalidImport(f"{path}: la_key {la_key!r} is not a council of {councils_path}")


def _place(
    path: Path, line: int, event: Mapping[str, Any], previous: dt.date, found: TimelineImport
) -> tuple[dt.date, DatePrecision]:
    text = str(event.get("date", "")).strip()
    try:
        start, precision = parse_partial_date(text)
    except ValueError:
        raise InvalidImport(f"{path}, line {line}, field date: {text!r} is not a date (YYYY-MM-DD, YYYY-MM, "
                            "YYYY-Qn or YYYY)") from None  # fmt: skip
    if precision is DatePrecision.day:
        return start, precision
    end = _period_end(start, precision)
    day = previous if start < previous <= end else start
    found.placed.append(f"line {line}: {text} placed on {day.isoformat()} ({precision.value})")
    return day, precision


def _period_end(start: dt.date, precision: DatePrecision) -> dt.date:
    months = {DatePrecision.month: 1, DatePrecision.quarter: 3, DatePrecision.year: 12}[precision]
    return add_months(start, months) - dt.timedelta(days=1)  # `start` is the first day of its period


class _OpenInstruments:
    """What the file has opened so far, to read `dfe_intervention_ended` (a notice, a direction, or supervision)."""

    def __init__(self) -> None:
        self.notice = self.direction = self.supervision = False

    def follow(self, fact_type: str) -> None:
        if fact_type == "improvement_notice_issued":
            self.notice = True
        elif fact_type == "improvement_notice_lifted":
            self.notice, self.supervision = False, True
        elif fact_type in ("statutory_direction_issued", "commissioner_appointed"):
            self.notice, self.direction = False, True
        elif fact_type == "statutory_direction_revoked":
            self.direction = False
        elif fact_type == "support_and_supervision_ended":
            self.supervision = False

    def ending(self) -> str | None:
        if self.notice:
            return "improvement_notice_lifted"
        if self.direction:
            return "statutory_direction_revoked"
        return "support_and_supervision_ended" if self.supervision else None


def _fact(
    path: Path, line: int, event: Mapping[str, Any], day: dt.date, precision: DatePrecision,
    tracker: _OpenInstruments, found: TimelineImport,
) -> Fact:  # fmt: skip
    kind = str(event.get("type", "")).strip()
    common: dict[str, Any] = {"occurred_on": day.isoformat(), "date_precision": precision.value}
    common["source"] = str(event["source"]) if event.get("source") else None
    if event.get("confidence") in ("high", "medium", "low"):
        common["confidence"] = event["confidence"]
    data = _read_detail(kind, event, tracker)
    if data is None:
        found.notes.append(f"line {line}: {kind or '(no type)'}")
        if kind not in _NOTES:
            found.unknown_types[kind or "(no type)"] += 1
        data = {"type": "note_recorded", "kind": kind or "untyped", "detail": event.get("detail")}
    elif event.get("detail"):
        common["note"] = str(event["detail"])
    try:
        fact = parse_fact({**data, **{k: v for k, v in common.items() if v is not None}}, where=f"{path}, line {line}")
    except InvalidFact as error:
        raise InvalidImport(str(error)) from None
    tracker.follow(fact.describe())
    return fact


def _read_detail(kind: str, event: Mapping[str, Any], tracker: _OpenInstruments) -> dict[str, Any] | None:
    """The fact an event of the research format stands for, or None when it is only a note."""
    detail = str(event.get("detail", "")).casefold()
    if kind == "ofsted_judgement_published":
        return _inspection(event)
    if kind == "ofsted_monitoring_visit":  # "Sixth and final monitoring visit" numbers the visit
        number = next((n for word, n in _ORDINALS.items() if detail.startswith(word)), None)
        return {"type": "monitoring_visit_published", "visit_number": number}
    if kind in _SIMPLE:
        return {"type": _SIMPLE[kind]}
    if kind == "statutory_direction":  # a direction appoints a commissioner when its detail says so
        return {"type": "statutory_direction_issued", "commissioner_review": "commissioner" in detail}
    if kind == "dfe_direction_revised":
        return {"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": True}
    if kind == "commissioner_report":
        recommendation = (
            "alternative_delivery" if any(w in detail for w in ("trust", "alternative delivery", "removed"))
            else "retain_with_partner" if "partner" in detail else "retain"
        )  # fmt: skip
        return {"type": "commissioner_reported", "recommendation": recommendation}
    if kind == "adm_decision":
        form = (
            "imposed_trust" if any(w in detail for w in ("independent trust", "imposed", "removed from council"))
            else "council_company" if "company" in detail or "council-owned" in detail
            else "partner_council" if "partner" in detail else "partnership_trust"
        )  # fmt: skip
        return {"type": "alternative_delivery_decided", "form": form}
    if kind == "dfe_intervention_ended":
        ending = tracker.ending()
        return {"type": ending} if ending else None
    return None


def _inspection(event: Mapping[str, Any]) -> dict[str, Any]:
    framework = str(event.get("framework", "")).strip()
    grades = {
        _GRADE_KEYS[key]: str(value).strip().replace(" ", "_")
        for key, value in (event.get("grades") or {}).items()
        if key in _GRADE_KEYS and value and not str(value).startswith("not_a_separate")
    }
    data: dict[str, Any] = {
        "type": "inspection_published",
        "fieldwork_start": str(event.get("fieldwork_start", "")),
        "fieldwork_end": str(event.get("fieldwork_end", "")),
        "judgements": grades,
    }
    if framework.startswith("SIF"):
        data["framework"] = "sif"
    if framework == "SIF re-inspection":
        data["inspection_type"] = "sif_reinspection"
    return data
