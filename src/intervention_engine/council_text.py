"""How a council's code and name are kept: normalised, and never with characters that hide what they say.

A code or name is Unicode NFC with its spaces collapsed to one, and refused with control, format (bidi overrides,
zero-width), line-separator or surrogate characters, which would make two names that look alike differ or one
look like another. `COUNCIL_TEXT_PATTERN` states the same for JSON schemas (characters outside the Basic
Multilingual Plane and lone surrogates cannot be written in a portable pattern: they are refused without being
stated there).
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

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
