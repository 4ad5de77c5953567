"""Importer of Ofsted's graded inspections CSV (`ofsted_inspections.csv`) with council identity from `councils.csv`.

Every row is checked before anything is recorded: a row with an impossible date, an unknown council or a grade
the engine does not know stops the import with one message naming the file, the line and the column. Rows that
are not graded children's services inspections (unreadable PDFs, LSCB-only reviews, pre-SIF reports whose grades
were not parsed) are not errors: they are skipped and listed in the import's report with their reason.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidFact, InvalidImport
from ..facts import CouncilRegistered, InspectionPublished, InspectionType, parse_fact
from .council_names import CouncilDirectory, also_known_as, directory_of

# Councils enter the engine before the first SIF inspection (November 2013) so every report has a council.
REGISTERED_ON = dt.date(2013, 1, 1)

_GRADES: dict[str, str | None] = {
    "outstanding": "outstanding",
    "good": "good",
    "requires improvement": "requires_improvement",
    "inadequate": "inadequate",
    "not judged": "not_judged",
    "not_reported_post_reform": None,  # the overall grade after 1 April 2026 (ILACS-01)
}
_COLUMNS = {
    "overall": "overall",
    "help_and_protection": "help_and_protection",
    "looked_after_or_in_care": "children_in_care",
    "care_leavers": "care_leavers",
    "leadership": "leadership",
    "adoption": "adoption",
}
_GRADED_FRAMEWORKS = {"SIF": None, "SIF re-inspection": InspectionType.sif_reinspection, "ILACS": None}


@dataclass(frozen=True)
class Skipped:
    line: int
    council: str
    reason: str


@dataclass
class OfstedImport:
    """What a CSV holds: councils, their inspections in publication order, and the rows left aside."""

    path: Path
    councils: dict[str, CouncilRegistered] = field(default_factory=dict)
    inspections: dict[str, list[InspectionPublished]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def inspection_count(self) -> int:
        return sum(len(found) for found in self.inspections.values())


def require_file(path: Path) -> None:
    """Refuse a path that names no file, in the importers' words (before anything beside it is read)."""
    if not path.is_file():
        raise InvalidImport(f"{path}: cannot be read: no such file")


def read_ofsted_csv(path: Path, councils_path: Path | CouncilDirectory | None = None) -> OfstedImport:
    """Read and check every row, with council identity from the identity table (beside the CSV unless named, or a
    directory already read); nothing is recorded here (see `history.national` for replay)."""
    require_file(path)
    councils = directory_of(councils_path or path.with_name("councils.csv")).by_urn()
    found = OfstedImport(path)
    for line, row in _rows(path):
        identity = councils.get(row.get("urn", "").strip())
        if identity is None:
            raise InvalidImport(f"{path}, line {line}, column urn: unknown council {row.get('urn')!r} "
                                f"({row.get('local_authority', '')}) is not in the council identity table")  # fmt: skip
        code = identity["la_code"].strip()
        reason = _not_graded(row)
        if reason:
            found.skipped.append(Skipped(line, code, reason))
            continue
        found.councils.setdefault(code, council_registration(identity))
        found.inspections.setdefault(code, []).append(_inspection(path, line, row))
    for facts in found.inspections.values():
        facts.sort(key=lambda fact: (fact.occurred_on, fact.fieldwork_start))
    return found


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            return [(reader.line_num, row) for row in reader]
    except OSError as error:
        raise InvalidImport(f"{path}: cannot be read: {error.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InvalidImport(f"{path}: not a readable CSV file: {error}") from None


def _not_graded(row: Mapping[str, str]) -> str | None:
    framework = row.get("framework", "").strip()
    if framework not in _GRADED_FRAMEWORKS:
        label = framework or f"unreadable report ({row.get('parse_status', '').strip()[:40]})"
        return f"not a graded children's services inspection: {label}"
    return None


def council_registration(
    identity: Mapping[str, str], table: str = "councils.csv", on: dt.date = REGISTERED_ON
) -> CouncilRegistered:
    """A council's registration, dated `on`, from its row of the council identity table."""
    return CouncilRegistered(
        occurred_on=on,
        code=identity["la_code"].strip(),
        name=identity["local_authority_ons_name"].strip(),
        ons_code=identity.get("la_code_new", "").strip() or None,
        ofsted_urn=identity["urn"].strip(),
        region=identity.get("region_name", "").strip() or None,
        also_known_as=also_known_as(identity) or None,
        source=f"council identity table ({table})",
    )


def _inspection(path: Path, line: int, row: Mapping[str, str]) -> InspectionPublished:
    where = f"{path}, line {line}"
    judgements: dict[str, Any] = {}
    for column, name in _COLUMNS.items():
        text = row.get(column, "").strip()
        if not text:
            continue
        if text not in _GRADES:
            raise InvalidImport(f"{where}, column {column}: unknown grade {text!r}; known: {', '.join(_GRADES)}")
        if _GRADES[text] is not None:
            judgements[name] = _GRADES[text]
    data = {
        "type": "inspection_published",
        "occurred_on": row.get("publication_date", "").strip(),
        "fieldwork_start": row.get("inspection_start_date", "").strip(),
        "fieldwork_end": row.get("inspection_end_date", "").strip(),
        "judgements": judgements,
        "report_url": row.get("inspection_link", "").strip() or None,
        "source": f"Ofsted report {row.get('inspection_link', '').strip()} (ofsted_inspections.csv line {line})",
        "confidence": "high",
        "provenance": [f"{path.name} line {line} (high)"],
    }
    if row["framework"].strip().startswith("SIF"):
        data["framework"] = "sif"  # SIF re-inspections went on into 2018 (FRAMEWORK_OVERLAPS)
    if _GRADED_FRAMEWORKS[row["framework"].strip()] is not None:
        data["inspection_type"] = InspectionType.sif_reinspection.value
    try:
        fact = parse_fact(data, where=where)
    except InvalidFact as error:
        raise InvalidImport(_columns_named(str(error))) from None
    assert isinstance(fact, InspectionPublished)
    return fact


def _columns_named(message: str) -> str:
    """Say the CSV's column names rather than the fact's field names."""
    for field_name, column in (
        ("occurred_on", "publication_date"),
        ("fieldwork_start", "inspection_start_date"),
        ("fieldwork_end", "inspection_end_date"),
    ):
        message = message.replace(f"{field_name}:", f"column {column}:")
    return message
