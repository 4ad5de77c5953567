"""A council's identity: how its code and name are kept, and which new council may be registered.

A code or name is normalised and never holds characters that hide what it says (`council_text`); a new council's
code matches the code pattern, is not taken, and is no other council's name, and its name is no code and no other
council's name, so a name never resolves to another council (`check_new_council`).

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
from collections.abc import Mapping
from typing import Annotated, Protocol

from pydantic import AfterValidator

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
