"""One research event read into the data of one fact, following its type's mapping (`history.vocabulary`).

Fields the mapping does not give are read from the event: grades and fieldwork of a judgement, and the
keyword readings of its `detail` (`history.reading`). An event that cannot be a fact (an unknown type, an
intervention "ended" with nothing open, a judgement with no grade) is read as a note, with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..facts import Framework, framework_on
from .reading import (
    delivery_form_of,
    direction_appoints_commissioner,
    overall_grade_of,
    priority_actions_in,
    progress_outcome_of,
    recommendation_of,
    revision_keeps_commissioner,
    visit_number_of,
)
from .vocabulary import INSTRUMENT_ENDED, NOTE, REPORT_PUBLISHED, TypeMapping

_GRADE_KEYS = {
    "overall_effectiveness": "overall",
    "overall": "overall",
    "help_and_protection": "help_and_protection",
    "children_looked_after_and_permanence": "children_in_care",
    "children_in_care": "children_in_care",
    "leadership_management_governance": "leadership",
    "impact_of_leaders": "leadership",
    "leadership": "leadership",
    "adoption_performance": "adoption",
    "adoption": "adoption",
    "care_leavers": "care_leavers",
}
ADEQUATE_NOTE = "pre-SIF 'adequate' recorded as requires_improvement (ILACS-01: the grade that replaced it)"


@dataclass
class Reading:
    """The data of the fact an event stands for, and what the importer assumed or could not do with it."""

    data: dict[str, Any]
    kept_as_note: str | None = None  # why, when the event is only a note ("" for a type mapped to `note`)
    unknown: bool = False
    note_extra: str | None = None  # said in the fact's note, after the event's detail
    assumptions: list[str] = field(default_factory=list)  # said in the import report


class OpenInstruments:
    """What the file has opened so far: to read `dfe_intervention_ended` (a notice, a direction or support and
    supervision) and a report's publication (the report under the same direction may be on record already)."""

    def __init__(self) -> None:
        self.notice = self.direction = self.supervision = False
        self.report_line: int | None = None

    def follow(self, fact_type: str, line: int) -> None:
        if fact_type == "improvement_notice_issued":
            self.notice = True
        elif fact_type == "improvement_notice_lifted":
            self.notice, self.supervision = False, True
        elif fact_type in ("statutory_direction_issued", "commissioner_appointed"):
            self.notice, self.direction, self.report_line = False, True, None
        elif fact_type == "statutory_direction_revoked":
            self.direction = False
        elif fact_type == "support_and_supervision_ended":
            self.supervision = False
        elif fact_type == "commissioner_reported":
            self.report_line = line

    def ending(self) -> str | None:
        if self.notice:
            return "improvement_notice_lifted"
        if self.direction:
            return "statutory_direction_revoked"
        return "support_and_supervision_ended" if self.supervision else None


def read_event(
    kind: str, mapping: TypeMapping | None, event: Mapping[str, Any], day: dt.date, tracker: OpenInstruments
) -> Reading:
    """The fact data (without date, source and confidence) of an event of research type `kind`, placed on `day`."""
    detail = str(event.get("detail") or "")
    if mapping is None:
        return _note(kind, detail, "unknown type", unknown=True)
    given = {**mapping.constants, **{name: event[key] for name, key in mapping.fields.items() if key in event}}
    if mapping.fact == NOTE:
        note = _note(kind, detail, "")
        note.data.update(given)
        return note
    fact = mapping.fact
    if fact == INSTRUMENT_ENDED:
        ending = tracker.ending()
        if ending is None:
            return _note(kind, detail, "no improvement notice, direction or support and supervision open")
        fact = ending
    if fact == REPORT_PUBLISHED:
        if tracker.report_line is not None:
            return _note(kind, detail, f"the report is on record already (line {tracker.report_line})")
        fact = "commissioner_reported"
    reader = _READERS.get(fact)
    reading = reader(event, detail, day, given) if reader else Reading({})
    if reading.kept_as_note is not None:
        return _note(kind, detail, reading.kept_as_note)
    reading.data = {"type": fact, **reading.data, **given}
    return reading


def _note(kind: str, detail: str, why: str, unknown: bool = False) -> Reading:
    return Reading({"type": "note_recorded", "kind": kind or "untyped", "detail": detail or None}, why, unknown)


def _direction(event: Mapping[str, Any], detail: str, day: dt.date, given: Mapping[str, Any]) -> Reading:
    revision = given.get("revises_earlier") is True
    keeps = revision_keeps_commissioner(detail) if revision else direction_appoints_commissioner(detail)
    return Reading({"commissioner_review": keeps})


def _progress(event: Mapping[str, Any], detail: str, day: dt.date, given: Mapping[str, Any]) -> Reading:
    written = str(event.get("outcome", "")).strip().casefold()  # `outcome: Insufficient` as well
    given_outcome = written if written in ("sufficient", "insufficient") else None
    return Reading({"outcome": given_outcome or progress_outcome_of(detail)})


def _inspection(event: Mapping[str, Any], detail: str, day: dt.date, given: Mapping[str, Any]) -> Reading:
    reading = Reading({})
    start, end = event.get("fieldwork_start"), event.get("fieldwork_end")
    if not start or not end:
        start = end = day.isoformat()
        reading.assumptions.append(f"no fieldwork dates: the publication day {start} is used for both")
    grades: dict[str, str] = {}
    adequate = False
    for key, value in (event.get("grades") or {}).items():
        name, (grade, was_adequate) = _GRADE_KEYS.get(str(key)), _grade(value)
        if name and grade:
            grades[name], adequate = grade, adequate or was_adequate
    if "overall" not in grades:
        stated = overall_grade_of(str(event.get("overall") or event.get("grade") or detail))
        if stated is None:
            return Reading({}, kept_as_note="no overall grade in its grades or detail")
        grades["overall"], adequate = stated[0], adequate or stated[1]
    reading.data = {"fieldwork_start": str(start), "fieldwork_end": str(end), "judgements": grades}
    framework = str(event.get("framework", "")).strip()
    pre_sif = given.get("framework") == "pre_sif" or _framework_of(str(start)) is Framework.pre_sif
    if pre_sif:
        reading.data["framework"] = Framework.pre_sif.value
        reading.note_extra = ADEQUATE_NOTE if adequate else None
    elif framework.startswith("SIF"):
        reading.data["framework"] = Framework.sif.value
        if framework == "SIF re-inspection":
            reading.data["inspection_type"] = "sif_reinspection"
    return reading


def _framework_of(start: str) -> Framework | None:
    try:
        return framework_on(dt.date.fromisoformat(start))
    except ValueError:
        return None  # the fact's own validation names the malformed date


def _grade(value: Any) -> tuple[str | None, bool]:
    """A written grade in the engine's words; `adequate` (pre-SIF) is requires_improvement, and flagged."""
    text = " ".join(str(value or "").casefold().replace("_", " ").split())
    if not text or text.startswith("not a separate"):
        return None, False
    if text == "adequate":
        return "requires_improvement", True
    if text.startswith("requires improvement"):
        return "requires_improvement", False
    return text.replace(" ", "_"), False


def _simple(field_name: str, read: Callable[[str], Any]) -> Callable[..., Reading]:
    return lambda event, detail, day, given: Reading({field_name: read(detail)})


_READERS: dict[str, Callable[[Mapping[str, Any], str, dt.date, Mapping[str, Any]], Reading]] = {
    "inspection_published": _inspection,
    "statutory_direction_issued": _direction,
    "progress_review_completed": _progress,
    "commissioner_reported": _simple("recommendation", recommendation_of),
    "alternative_delivery_decided": _simple("form", delivery_form_of),
    "monitoring_visit_published": _simple("visit_number", visit_number_of),
    "focused_visit_published": _simple("priority_actions", priority_actions_in),
}
