"""Importer of the DfE register (`../shared/data/dfe_interventions.csv`): one dated fact of the DfE's a row.

The register is in the engine's own vocabulary (`fact`), with partial dates, forms of alternative delivery, the
service area and a confidence. It is incomplete and says so (`../shared/data/README.md`): it covers only the facts it
lists, so it declares no coverage, and its councils keep "nothing on record" wherever no other source covers them.

The whole file is validated before anything is recorded: a missing column, an unknown council (with a did-you-mean),
an unknown fact or an impossible date stops the import with one line naming the file, the line and the column.
Rows whose `service_area` is not children's social care (SEND notices, unverified scopes) are kept as notes with the
reason, never as moves. A row's free-text `detail` decides whether a direction appoints a commissioner and what a
commissioner recommended (keyword readings in `reading.py`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import InvalidFact, InvalidImport
from ..facts import CouncilRegistered, parse_fact, parse_partial_date
from .council_names import CouncilDirectory, UnknownCouncil, directory_of
from .ofsted_csv import REGISTERED_ON, council_registration
from .partial_dates import place_all
from .reading import direction_appoints_commissioner, recommendation_of, revision_keeps_commissioner
from .sources import SourcedFact, as_written

COLUMNS = ("council", "la_code", "fact", "occurred_on", "detail", "form", "service_area", "source", "confidence")
CHILDREN_SOCIAL_CARE = "children_social_care"
SERVICE_AREAS = (CHILDREN_SOCIAL_CARE, "send", "other")
_FORMS = ("partnership_trust", "imposed_trust", "council_company", "partner_council", "other")
_PLAIN = (
    "improvement_notice_issued",
    "improvement_notice_lifted",
    "statutory_direction_revoked",
    "commissioner_appointed",
    "alternative_delivery_ended",
)
FACTS = (
    *_PLAIN,
    "statutory_direction_issued",
    "statutory_direction_revised",
    "commissioner_reported",
    "alternative_delivery_decided",
    "alternative_delivery_live",
)


@dataclass
class RegisterImport:
    """The register read into facts per council (by DfE code), with the rows kept as notes and why."""

    path: Path
    registrations: dict[str, CouncilRegistered] = field(default_factory=dict)
    facts: dict[str, list[SourcedFact]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)  # "line N: fact (service_area): reason"
    placed: list[str] = field(default_factory=list)

    @property
    def fact_count(self) -> int:
        return sum(len(found) for found in self.facts.values())


def read_register(path: Path, councils_path: Path | CouncilDirectory | None = None) -> RegisterImport:
    """Read and check the whole register (council identity from the identity table beside it unless named, or a
    directory already read); raise `InvalidImport` (file, line, column) at the first bad row."""
    directory = directory_of(councils_path or path.parent / "councils.csv")
    found = RegisterImport(path)
    for line, row in _rows(path):
        identity = _council(path, line, row, directory)
        code = identity["la_code"].strip()
        found.registrations.setdefault(code, council_registration(identity, directory.table, on=REGISTERED_ON))
        data = _fact_data(path, line, row)
        try:
            fact = parse_fact(data, where=f"{path}, line {line}")
        except InvalidFact as error:
            raise InvalidImport(str(error)) from None
        found.facts[code].append(SourcedFact(fact, "register", path.name, line))
        if data["type"] == "note_recorded":
            found.notes.append(f"line {line}: {row['fact']} ({row['service_area']}): {data['detail']}")
    for code, facts in found.facts.items():
        found.facts[code] = _placed(facts, found.placed)
    return found


def _placed(facts: list[SourcedFact], report: list[str]) -> list[SourcedFact]:
    """A council's rows in file order, each partial date placed by the one rule of `partial_dates` (never before
    the council's row above it), the placement said in `report`."""
    written = [(item.line, as_written(item.fact)) for item in facts]
    placed = []
    for item, where in zip(facts, place_all(written), strict=True):
        if where.how is not None:
            report.append(f"line {item.line}: {where.how}")
        placed.append(replace(item, fact=item.fact.model_copy(update={"occurred_on": where.day})))
    return placed


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
            if missing:
                raise InvalidImport(
                    f"{path}, line 1: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}"
                )
            rows = [(reader.line_num, dict(row)) for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InvalidImport(f"{path}: cannot read the register: {error}") from None
    return rows


def _council(path: Path, line: int, row: dict[str, str], directory: CouncilDirectory) -> dict[str, str]:
    code, name = (row.get("la_code") or "").strip(), (row.get("council") or "").strip()
    try:
        identity = directory.resolve(code or name)
        if code and name and directory.resolve(name)["la_code"] != identity["la_code"]:
            raise InvalidImport(
                f"{path}, line {line}, column council: {name!r} is not the council of la_code {code} "
                f"({identity['local_authority_ons_name']})"
            )
    except UnknownCouncil as error:
        column = "la_code" if code else "council"
        raise InvalidImport(f"{path}, line {line}, column {column}: {error}") from None
    return identity


def _fact_data(path: Path, line: int, row: dict[str, str]) -> dict[str, Any]:
    kind, area = row["fact"].strip(), row["service_area"].strip()
    detail, form = (row.get("detail") or "").strip(), (row.get("form") or "").strip()
    where = f"{path}, line {line}"
    if kind not in FACTS:
        raise InvalidImport(f"{where}, column fact: unknown fact {kind!r}; the register's facts are {', '.join(FACTS)}")
    if area not in SERVICE_AREAS:
        raise InvalidImport(f"{where}, column service_area: {area!r}; expected one of {', '.join(SERVICE_AREAS)}")
    if form and form not in _FORMS:
        raise InvalidImport(f"{where}, column form: unknown form {form!r}; forms are {', '.join(_FORMS)}")
    day = row["occurred_on"].strip()
    try:
        parse_partial_date(day)
    except ValueError:
        raise InvalidImport(
            f"{where}, column occurred_on: {day!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"
        ) from None
    confidence = row["confidence"].strip()
    if confidence not in ("high", "medium", "low", ""):
        raise InvalidImport(f"{where}, column confidence: {confidence!r}; expected high, medium or low")
    common: dict[str, Any] = {
        "occurred_on": row["occurred_on"].strip(),
        "source": row["source"].strip() or None,
        "confidence": confidence or None,
        "provenance": [f"{path.name} line {line} ({confidence or 'no confidence given'})"],
    }
    if area != CHILDREN_SOCIAL_CARE:
        reason = f"not children's social care (service_area {area}): kept as a note, not a move"
        return {**common, "type": "note_recorded", "kind": kind, "detail": f"{reason}; {detail}".rstrip("; ")}
    common["note"] = detail or None
    if kind in _PLAIN:
        return {**common, "type": kind}
    if kind == "statutory_direction_issued":
        return {**common, "type": kind, "commissioner_review": direction_appoints_commissioner(detail)}
    if kind == "statutory_direction_revised":
        keeps = revision_keeps_commissioner(detail)
        return {**common, "type": "statutory_direction_issued", "revises_earlier": True, "commissioner_review": keeps}
    if kind == "commissioner_reported":
        return {**common, "type": kind, "recommendation": recommendation_of(detail)}
    if kind == "alternative_delivery_decided" and not form:
        raise InvalidImport(f"{where}, column form: alternative_delivery_decided needs a form ({', '.join(_FORMS)})")
    return {**common, "type": kind, **({"form": form} if form else {})}


def register_report(found: RegisterImport) -> dict[str, Any]:
    """What the import read: facts and councils, rows kept as notes and why, how partial dates were placed."""
    return {
        "file": str(found.path),
        "councils": len(found.registrations),
        "facts": found.fact_count,
        "kept_as_notes": found.notes,
        "partial_dates": found.placed,
    }
