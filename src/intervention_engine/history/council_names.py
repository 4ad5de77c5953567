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

import re
from collections import defaultdict
from pathlib import Path

from rapidfuzz import fuzz, process

from ..errors import InvalidImport
from .ofsted_csv import read_councils

_NAME_COLUMNS = ("local_authority_ons_name", "ofsted_ilacs_scrape_la_name", "ltla23nm", "utla23nm")
_CODE_COLUMNS = ("la_code", "la_code_new", "urn")
# Longest first: "metropolitan borough council" goes before "council" would leave "metropolitan borough".
_PREFIXES = (
    "london borough of", "royal borough of", "metropolitan borough of", "city and county of", "borough of",
    "council of the", "county of", "city of", "the", "county",
)  # fmt: skip
_SUFFIXES = (
    "metropolitan borough council", "metropolitan district council", "county borough council", "county council",
    "borough council", "district council", "city council", "metropolitan borough", "council", "city of",
    "borough",
)  # fmt: skip
# Keys an affix would leave that name no council: "City of London" must not answer to "London".
_NOT_NAMES = frozenset({"london"})
_SUGGESTIONS, _SUGGESTION_SCORE = 3, 70


class UnknownCouncil(InvalidImport):
    """A council name or code that matches no council of the identity table, or more than one."""


def name_key(text: str) -> str:
    """A name as written, without case, punctuation, separators or the affixes of a formal council name."""
    words = _plain(text)
    while True:
        stripped = _strip_affixes(words)
        if stripped == words or not stripped:
            return words
        words = stripped


def _plain(text: str) -> str:
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[_\-]+", " ", text)
    text = re.sub(r"[^\w\s]", " ", text)  # commas, full stops, apostrophes, brackets
    return " ".join(text.split())


def _strip_affixes(words: str) -> str:
    for prefix in _PREFIXES:
        if words.startswith(prefix + " "):
            return words.removeprefix(prefix + " ")
    for suffix in _SUFFIXES:
        if words.endswith(" " + suffix):
            return words.removesuffix(" " + suffix)
    return words


class CouncilDirectory:
    """Councils of the identity table, found by any of their names or codes."""

    def __init__(self, rows: list[dict[str, str]], table: str = "councils.csv") -> None:
        self.table = table
        self._rows = rows
        self._keys: dict[str, set[int]] = defaultdict(set)
        for index, row in enumerate(rows):
            for key in _keys_of(row):
                self._keys[key].add(index)

    @classmethod
    def from_csv(cls, path: Path) -> CouncilDirectory:
        return cls(list(read_councils(path).values()), path.name)

    def resolve(self, text: str) -> dict[str, str]:
        """The identity-table row of the council `text` names; UnknownCouncil when none or several match."""
        key = name_key(str(text))
        matches = sorted(self._keys.get(_plain(str(text))) or self._keys.get(key) or ())
        if len(matches) == 1:
            return self._rows[matches[0]]
        if matches:
            candidates = ", ".join(self._label(index) for index in matches)
            raise UnknownCouncil(f"council {text!r} is ambiguous in {self.table}: it names {candidates}")
        raise UnknownCouncil(f"unknown council {text!r}: not a name or code in {self.table}{self._did_you_mean(key)}")

    def _did_you_mean(self, key: str) -> str:
        found = process.extract(key, list(self._keys), scorer=fuzz.WRatio, limit=None, score_cutoff=_SUGGESTION_SCORE)
        labels: list[str] = []
        for near, _score, _ in found:
            for index in sorted(self._keys[near]):
                label = self._label(index)
                if label not in labels:
                    labels.append(label)
        if not labels:
            return ""
        return "; did you mean " + " or ".join(labels[:_SUGGESTIONS]) + "?"

    def _label(self, index: int) -> str:
        row = self._rows[index]
        return f"{row['local_authority_ons_name'].strip()} ({row['la_code'].strip()})"


def _keys_of(row: dict[str, str]) -> set[str]:
    names = [row.get(column, "") for column in _NAME_COLUMNS]
    aliases = row.get("also_known_as", "").strip().strip("[]")  # "[Kingston Upon Hull, Hull]"
    names += [aliases, *aliases.split(",")]
    keys = {name_key(name) for name in names} | {_plain(name) for name in names}
    keys |= {_plain(row.get(column, "")) for column in _CODE_COLUMNS}
    return {key for key in keys if key and key not in _NOT_NAMES}
