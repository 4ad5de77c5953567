"""The world model's parameters, read and set by name: what a sweep grid varies and what a saved branch records.

A parameter is any field of the world model (a dataclass or a pydantic model, walked recursively: `WorldModel`,
its `DfEResponses`, whatever dynamics are added as fields later) whose value is plain data: a bool, number, string
or None, or a mapping of them (`fixed_lags` by step). The calibration is the record, not a parameter, and is never
walked. A parameter is named by its field name (`p_alternative_delivery`) when that is unique, else by its dotted
path (`dfe.p_alternative_delivery` always works). Setting one rebuilds the objects on its path
(`dataclasses.replace`, `model_copy`), so derived fields (`DfEResponses`'s calibrated share) follow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel
from rapidfuzz import process

from .calibration import Calibration

_SCALARS = (bool, int, float, str, type(None))


class UnknownParameter(ValueError):
    """A name that is no parameter of the world model, with the nearest one as a did-you-mean."""


def _is_value(value: Any) -> bool:
    if isinstance(value, _SCALARS):
        return True
    return isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, _SCALARS) for k, v in value.items())


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """The settable fields of a dataclass or pydantic model (none of anything else, nor of a calibration)."""
    if isinstance(obj, Calibration):
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.init and not f.name.startswith("_"):
                yield f.name, getattr(obj, f.name)
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield name, getattr(obj, name)


def _paths(obj: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, value in _children(obj):
        path = (*prefix, name)
        if _is_value(value):
            yield path, value
        else:
            yield from _paths(value, path)


def _names(world: Any) -> dict[str, tuple[str, ...]]:
    """Every accepted name → its path: the dotted path always, the bare field name when no other field has it."""
    paths = [path for path, _ in _paths(world)]
    leaves = [path[-1] for path in paths]
    names = {".".join(path): path for path in paths}
    names.update({path[-1]: path for path in paths if leaves.count(path[-1]) == 1})
    return names


def parameter_values(world: Any) -> dict[str, Any]:
    """Every parameter of the world model and its value, by its short name (field name, or dotted if shared)."""
    names = _names(world)
    short = {path: name for name, path in sorted(names.items(), key=lambda item: len(item[0]), reverse=True)}
    return {short[path]: dict(value) if isinstance(value, Mapping) else value for path, value in _paths(world)}


def resolve(world: Any, name: str, *, where: str = "sweep") -> tuple[str, ...]:
    """The path of a parameter; an unknown name is refused with the nearest known one."""
    names = _names(world)
    if name in names:
        return names[name]
    near = process.extractOne(name, list(names))
    hint = f"; did you mean {near[0]!r}?" if near and near[1] >= 60 else ""
    known = ", ".join(sorted(parameter_values(world)))
    raise UnknownParameter(f"{where}: no world-model parameter {name!r}{hint} (known: {known})")


def with_parameters(world: Any, values: Mapping[str, Any], *, where: str = "sweep") -> Any:
    """A copy of the world model with these parameters set (every name is checked before anything is set)."""
    paths = [(resolve(world, name, where=where), value) for name, value in values.items()]
    for path, value in paths:
        world = _set(world, path, value)
    return world


def _set(obj: Any, path: tuple[str, ...], value: Any) -> Any:
    head, rest = path[0], path[1:]
    new = _set(getattr(obj, head), rest, value) if rest else value
    if isinstance(obj, BaseModel):
        return obj.model_copy(update={head: new})
    return dataclasses.replace(obj, **{head: new})
