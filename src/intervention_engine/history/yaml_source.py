"""YAML read with the line of every node, so a bad file's error names its file, line and field.

Dates stay text (pydantic parses them and reports an impossible one by its field) and only true/false are booleans
(YAML 1.1 reads `on:` as True). Duplicate keys, which YAML silently lets the last one win, are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import InterventionError
from ..facts import FACT_TYPES

_TIMESTAMP, _BOOL = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as text and reads only true/false as booleans (YAML 1.1 reads `on:` as True)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_TIMESTAMP, _BOOL)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


_MODEL_ONLY = frozenset({"fact", *FACT_TYPES})  # levels of an error location that the file does not write


def read_yaml(path: Path, error: type[InterventionError]) -> tuple[Node | None, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read the file: {problem}") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, ValueError) as problem:
        mark = getattr(problem, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        reason = getattr(problem, "problem", None) or str(problem)
        raise error(f"{path}{line}: not valid YAML: {reason}") from None
    finally:
        loader.dispose()
    duplicate = _first_duplicate_key(node)
    if duplicate is not None:
        raise error(f"{path}, line {duplicate.start_mark.line + 1}: duplicate key {duplicate.value!r}")
    return node, data


def _first_duplicate_key(node: Node | None) -> ScalarNode | None:
    if isinstance(node, SequenceNode):
        return next(filter(None, (_first_duplicate_key(item) for item in node.value)), None)
    if not isinstance(node, MappingNode):
        return None
    seen: set[str] = set()
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value in seen:
            return key
        seen.add(key.value if isinstance(key, ScalarNode) else "")
        found = _first_duplicate_key(value)
        if found is not None:
            return found
    return None


def explain(origin: str, root: Node | None, error: ValidationError, details: Sequence[Any] | None = None) -> str:
    """One line for every problem: `file, line N: field: what is wrong`, then the others in the file (at most
    `_SHOWN` of them, then how many more)."""
    found = details if details is not None else error.errors()
    problems = list(dict.fromkeys(_problem(root, problem) for problem in found))  # one line for one field once
    first, others = problems[0], problems[1:]
    more = ""
    if others:
        shown = "; ".join(others[:_SHOWN]) + (f"; and {len(others) - _SHOWN} more" if len(others) > _SHOWN else "")
        more = f" (and {len(others)} more in the file: {shown})"
    return f"{origin}, {first}{more}"


_SHOWN = 5


def _problem(root: Node | None, problem: Any) -> str:
    """`line N: field: what is wrong` for one pydantic error."""
    loc, message = tuple(problem["loc"]), str(problem["msg"])
    if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
        loc += ("type",)
        tag = problem["ctx"].get("tag") if problem["type"] == "union_tag_invalid" else None
        known = ", ".join(kind for kind in FACT_TYPES if kind != "council_registered")
        message = f"unknown fact type {tag!r}; known types: {known}" if tag else f"missing; one of: {known}"
    line, field = locate(root, loc)
    message = message.removeprefix("Value error, ")
    return f"line {line}: {field or 'file'}: {message[:1].lower()}{message[1:]}"


def locate(root: Node | None, loc: tuple[int | str, ...]) -> tuple[int, str]:
    """The line and the written path of a pydantic error location, skipping model-only levels (`fact`, the tag)."""
    node, line, field = root, root.start_mark.line + 1 if root else 1, ""
    for position, part in enumerate(loc):
        if isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line, field = node.start_mark.line + 1, f"{field}[{part}]"
            continue
        pair = _entry(node, part)
        if pair is not None:
            line, node, field = pair[0].start_mark.line + 1, pair[1], f"{field}.{part}".lstrip(".")
        elif part not in _MODEL_ONLY and position == len(loc) - 1:  # missing: the line of its mapping
            field = f"{field}.{part}".lstrip(".")
    return line, field


def _entry(node: Node | None, key: int | str) -> tuple[Node, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    return next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(key)), None)


def item_lines(root: Node | None, key: str) -> tuple[int, ...]:
    pair = _entry(root, key)
    if pair is None or not isinstance(pair[1], SequenceNode):
        return ()
    return tuple(item.start_mark.line + 1 for item in pair[1].value)
