"""Who each stored council is, for tables people join on: DfE code, ONS code, name and region.

The registration fact carries them (the importers copy them from the council identity table, `councils.csv`); a
council registered without them (a hand-written fact) takes them from the table when one is given, by its DfE
code. A council neither knows has an empty ONS code and the region `NO_REGION`, never a guess.
"""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidImport
from ..persistence.council_index import CouncilIndex
from ..persistence.store import CouncilStore

NO_REGION = "no region on record"
_COLUMNS = ("la_code", "la_code_new", "local_authority_ons_name", "region_name")


@dataclass(frozen=True)
class CouncilIdentity:
    code: str
    ons_code: str | None
    name: str
    region: str


def council_identities(
    store: CouncilStore, index: CouncilIndex, councils_csv: Path | None = None
) -> dict[uuid.UUID, CouncilIdentity]:
    """Every registered council's identity, by stream id (in code order)."""
    table = read_identity_table(councils_csv) if councils_csv is not None else {}
    index.refresh()
    found: dict[uuid.UUID, CouncilIdentity] = {}
    for cid, code in sorted(index.codes.items(), key=lambda item: item[1]):
        registered = next(iter(store.events.get(cid, limit=1))).__dict__.get("fact") or {}
        row = table.get(code, {})
        found[cid] = CouncilIdentity(
            code,
            registered.get("ons_code") or row.get("la_code_new") or None,
            index.names[cid],
            registered.get("region") or row.get("region_name") or NO_REGION,
        )
    return found


def read_identity_table(path: Path) -> dict[str, dict[str, str]]:
    """The council identity table's ONS codes, names and regions by DfE code; a one-line error if unreadable."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise InvalidImport(f"{path}: cannot be read: {error.strerror}") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise InvalidImport(f"{path}: not a readable CSV file: {error}") from None
    missing = [column for column in _COLUMNS if not rows or column not in rows[0]]
    if missing:
        raise InvalidImport(f"{path}, line 1: missing columns {', '.join(missing)} (a council identity table)")
    return {row["la_code"].strip(): {k: (row[k] or "").strip() for k in _COLUMNS} for row in rows}
