"""Council identity as people write it: "Kirklees Council", "tower_hamlets", "London Borough of Barnet", "382".

Every row of the council identity table (`councils.csv`) is known by its names and codes, each reduced to a key:
case folded, `&` read as `and`, punctuation dropped, underscores and hyphens read as spaces, and the affixes of a
council's formal name ("London Borough of", "Royal Borough of", "City of", "Metropolitan Borough Council",
"County Council", "Council", a trailing ", City of", ...) removed. Names come from the ONS name, `also_known_as`,
the Ofsted scrape name and the 2023 lower- and upper-tier names; codes are the DfE 3-digit code (`la_code`), the
ONS code (`la_code_new`) and the Ofsted URN. A text matches a council when its key is one of that council's keys:
exactly, never approximately. When nothing matches, the error offers the nearest names (rapidfuzz) as a
did-you-mean, so "Kirklee" is refused with "did you mean Kirklees (382)?" rather than silently taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..council_identity import SUGGESTIONS, CouncilKeys
from ..errors import InvalidImport
from ..projections.identity import read_identity_rows

_NAME_COLUMNS = ("local_authority_ons_name", "ofsted_ilacs_scrape_la_name", "ltla23nm", "utla23nm")
_CODE_COLUMNS = ("la_code", "la_code_new", "urn")


class UnknownCouncil(InvalidImport):
    """A council name or code that matches no council of the identity table, or more than one."""


class CouncilDirectory:
    """Councils of the identity table, found by any of their names or codes."""

    def __init__(self, rows: list[dict[str, str]], table: str = "councils.csv") -> None:
        self.table = table
        self._rows = rows
        self._keys: CouncilKeys[int] = CouncilKeys()
        for index, row in enumerate(rows):
            self._keys.add(index, _names_of(row), (row.get(column, "") for column in _CODE_COLUMNS))

    @classmethod
    def from_csv(cls, path: Path) -> CouncilDirectory:
        return cls(list(read_councils(path).values()), path.name)

    def by_urn(self) -> dict[str, dict[str, str]]:
        """The rows by Ofsted URN."""
        return {row["urn"].strip(): row for row in self._rows}

    def resolve(self, text: str) -> dict[str, str]:
        """The identity-table row of the council `text` names; UnknownCouncil when none or several match."""
        matches = sorted(self._keys.matches(str(text)))
        if len(matches) == 1:
            return self._rows[matches[0]]
        if matches:
            candidates = ", ".join(self._label(index) for index in matches)
            raise UnknownCouncil(f"council {text!r} is ambiguous in {self.table}: it names {candidates}")
        raise UnknownCouncil(f"unknown council {text!r}: not a name or code in {self.table}{self._did_you_mean(text)}")

    def _did_you_mean(self, text: str) -> str:
        labels = [self._label(index) for index in self._keys.nearest(str(text))]
        if not labels:
            return ""
        return "; did you mean " + " or ".join(labels[:SUGGESTIONS]) + "?"

    def _label(self, index: int) -> str:
        row = self._rows[index]
        return f"{row['local_authority_ons_name'].strip()} ({row['la_code'].strip()})"


def directory_of(councils: Path | CouncilDirectory) -> CouncilDirectory:
    """The directory a reader is given, or the table at a path read into one: callers reading several sources read
    the table once and pass the directory to each."""
    return councils if isinstance(councils, CouncilDirectory) else CouncilDirectory.from_csv(councils)


def read_councils(path: Path) -> dict[str, dict[str, str]]:
    """Council identity by Ofsted URN, from the council identity table."""
    rows = read_identity_rows(path, ("urn", "la_code", "local_authority_ons_name"))
    return {row["urn"].strip(): row for _, row in rows}


def also_known_as(identity: Mapping[str, str]) -> list[str]:
    """The `also_known_as` names of an identity-table row: "[Kingston Upon Hull, Hull]" is two names."""
    aliases = identity.get("also_known_as", "").strip().strip("[]")
    return [alias.strip() for alias in aliases.split(",") if alias.strip()]


def _names_of(row: dict[str, str]) -> list[str]:
    aliases = row.get("also_known_as", "").strip().strip("[]")
    return [*(row.get(column, "") for column in _NAME_COLUMNS), aliases, *also_known_as(row)]
