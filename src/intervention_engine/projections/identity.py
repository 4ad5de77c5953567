"""Who each stored council is, for tables people join on: DfE code, ONS code, name and region.

The registration fact carries them (the importers copy them from the council identity table, `councils.csv`); a
council registered without them (a hand-written fact) takes them from the table when one is given, by its DfE
code. A council neither knows has an empty ONS code and the region `NO_REGION`, never a guess.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidImport
from ..persistence.council_index import CouncilIndex

NO_REGION = "no region on record"
_COLUMNS = ("la_code", "la_code_new", "local_authority_ons_name", "region_name")


@dataclass(frozen=True)
class CouncilIdentity:
    code: str
    ons_code: str | None
    name: str
    region: str


def council_identities(index: CouncilIndex, councils_csv: Path | None = None) -> dict[uuid.UUID, CouncilIdentity]:
    """Every registered council's identity, by stream id (in code order): read off the council index, which folds
    the registrations, so the store is not read; the identity table, when one is given, is read once."""
    table = read_identity_table(councils_csv) if councils_csv is not None else {}
    index.refresh()
    found: dict[uuid.UUID, CouncilIdentity] = {}
    for cid, code in sorted(index.codes.items(), key=lambda item: item[1]):
        row = table.get(code, {})
        found[cid] = CouncilIdentity(
            code,
            index.ons_codes.get(cid) or row.get("la_code_new") or None,
            index.names[cid],
            index.regions.get(cid) or row.get("region_name") or NO_REGION,
        )
    return found


def read_identity_rows(path: Path, columns: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """The council identity table (`councils.csv`), each row with its line: the one reader of the table, for every
    layer that needs it. A file that cannot be read, is no CSV or lacks one of `columns` is refused in one line
    naming it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(set(columns) - set(reader.fieldnames or ()))
            if missing:
                raise InvalidImport(f"{path}, line 1: missing columns {', '.join(missing)} (a council identity table)")
            return [(reader.line_num, row) for row in reader]
    except OSError as error:
        raise InvalidImport(f"{path}: cannot be read: {error.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InvalidImport(f"{path}: not a readable CSV file: {error}") from None


def read_identity_table(path: Path) -> dict[str, dict[str, str]]:
    """The council identity table's ONS codes, names and regions by DfE code; a one-line error if unreadable."""
    rows = read_identity_rows(path, _COLUMNS)
    return {row["la_code"].strip(): {k: (row[k] or "").strip() for k in _COLUMNS} for _, row in rows}
