"""A council's identity: how its code and name are kept, and which new council may be registered.

A code or name is normalised and never holds characters that hide what it says (`council_text`); a new council's
code matches the code pattern, is not taken, and is no other council's name, and its name is no code and no other
council's name, so a name never resolves to another council (`check_new_council`).

Names people type (`name_key`, `CouncilKeys`): a council is found by its code, ONS code or Ofsted URN, or by its
name or an `also_known_as` name written any way people write it: case folded, `&` read as `and`, punctuation
dropped, underscores and hyphens read as spaces, and the affixes of a formal council name ("London Borough of",
"City of", "Council", a trailing ", City of", ...) removed, so `Bristol`, `St Helens` and `Kingston upon Hull`
find "Bristol, City of", "St. Helens" and "Kingston Upon Hull, City of". Exactly, never approximately: a text
that names nothing gets the nearest names as a did-you-mean (rapidfuzz), never a guess.

A code or name is Unicode NFC with its spaces collapsed to one, and refused with control, format (bidi overrides,
zero-width), line-separator or surrogate characters, which would make two names that look alike differ or one
look like another. `COUNCIL_TEXT_PATTERN` states the same for JSON schemas (characters outside the Basic
Multilingual Plane and lone surrogates cannot be written in a portable pattern: they are refused without being
stated there).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Hashable, Iterable, Mapping
from typing import Annotated, Generic, Protocol, TypeVar

from pydantic import AfterValidator
from rapidfuzz import fuzz, process

from .errors import CouncilAlreadyRegistered, InvalidFact

_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})  # control, format (bidi, zero-width), separators, surrogates


def _hidden_class() -> str:
    """The hidden characters of the Basic Multilingual Plane as the body of a regex character class."""
    ranges: list[tuple[int, int]] = []
    for point in range(0x10000):
        if unicodedata.category(chr(point)) in _HIDDEN - {"Cs"}:  # no surrogate travels in UTF-8 JSON, or a pattern
            if ranges and ranges[-1][1] == point - 1:
                ranges[-1] = (ranges[-1][0], point)
            else:
                ranges.append((point, point))
    return "".join(rf"\u{a:04x}" if a == b else rf"\u{a:04x}-\u{b:04x}" for a, b in ranges)


_CLASS = _hidden_class()
DFE_CODE_PATTERN = r"[0-9]{3}"  # what a council code looks like unless configured otherwise: a DfE 3-digit code
COUNCIL_TEXT_PATTERN = rf"^[^{_CLASS}]*[^{_CLASS}\s][^{_CLASS}]*$"  # no hidden character, not blank


def council_text(value: str) -> str:
    """`value` as it is kept, or ValueError naming the hidden characters (or that it is blank)."""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    hidden = sorted({f"U+{ord(char):04X}" for char in value if unicodedata.category(char) in _HIDDEN})
    if hidden:
        raise ValueError(f"contains control or invisible characters ({', '.join(hidden)})")
    if not value:
        raise ValueError("is blank")
    return value


CouncilText = Annotated[str, AfterValidator(council_text)]


class KnownCouncils(Protocol):
    """The councils already registered, as `check_new_council` reads them (`persistence.council_index` is one)."""

    @property
    def codes(self) -> Mapping[uuid.UUID, str]: ...

    def find(self, council: str) -> uuid.UUID | None: ...


def check_new_council(code: str, name: str, index: KnownCouncils, pattern: re.Pattern[str] | None) -> None:
    """Refuse the registration (`council_registered`) of council `code` named `name` if the code does not match
    `pattern` (None: any code) or is taken, or if the code or name would make a name resolve to another council."""
    if pattern is not None and not pattern.fullmatch(code):
        raise InvalidFact(f"council_registered: code {code!r} is not a council code (it must match {pattern.pattern})")
    if pattern is not None and pattern.fullmatch(name):
        raise InvalidFact(f"council_registered: name {name!r} looks like a council code; give the name")
    by_code = index.find(code)  # reads the log when the code is new to it
    if by_code is not None and index.codes[by_code].casefold() == code.casefold():
        raise CouncilAlreadyRegistered(code)
    if by_code is not None:
        raise InvalidFact(f"council_registered: code {code!r} is another council's name")
    by_name = index.find(name)
    if by_name is not None:
        raise InvalidFact(f"council_registered: name {name!r} is already taken by council {index.codes[by_name]!r}")


# ----------------------------------------------------------------------------------------------------------------
# Names people type.

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
SUGGESTIONS, _SUGGESTION_SCORE = 3, 70


def plain_key(text: str) -> str:
    """A name or code without case, punctuation or separators ("St. Helens" and "st helens" are one key)."""
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[_\-]+", " ", text)
    text = re.sub(r"[^\w\s]", " ", text)  # commas, full stops, apostrophes, brackets
    return " ".join(text.split())


def name_key(text: str) -> str:
    """A name as written, without case, punctuation, separators or the affixes of a formal council name."""
    words = plain_key(text)
    while True:
        stripped = _strip_affixes(words)
        if stripped == words or not stripped:
            return words
        words = stripped


def _strip_affixes(words: str) -> str:
    for prefix in _PREFIXES:
        if words.startswith(prefix + " "):
            return words.removeprefix(prefix + " ")
    for suffix in _SUFFIXES:
        if words.endswith(" " + suffix):
            return words.removesuffix(" " + suffix)
    return words


Item = TypeVar("Item", bound=Hashable)


class CouncilKeys(Generic[Item]):
    """Councils (`Item`: a stream id, a row of the identity table) found by the keys of their names and codes."""

    def __init__(self) -> None:
        self._keys: dict[str, list[Item]] = {}

    def add(self, item: Item, names: Iterable[str], codes: Iterable[str] = ()) -> None:
        """`item` is known by each of `names` as people write them and by each of `codes` (any case)."""
        names = [name for name in names if name]
        keys = {name_key(name) for name in names} | {plain_key(name) for name in names}
        keys |= {plain_key(code) for code in codes if code}
        for key in keys - _NOT_NAMES - {""}:
            found = self._keys.setdefault(key, [])
            if item not in found:
                found.append(item)

    def matches(self, text: str) -> list[Item]:
        """The councils `text` names: by its plain key first (punctuation and case aside), else by its name key."""
        return list(self._keys.get(plain_key(text)) or self._keys.get(name_key(text)) or ())

    def nearest(self, text: str) -> list[Item]:
        """The councils whose names or codes come nearest to `text`, nearest first (rapidfuzz's WRatio, at least
        70 of 100): the did-you-mean of a text that names none."""
        found = process.extract(
            name_key(text), list(self._keys), scorer=fuzz.WRatio, limit=None, score_cutoff=_SUGGESTION_SCORE
        )
        nearest: list[Item] = []
        for key, _score, _ in found:
            nearest += [item for item in self._keys[key] if item not in nearest]
        return nearest
