"""The scope of `make mutate` (issue 15) in one place: `SCOPE` in tests/mutation_score.py names the mutants scored,
`only_mutate` in pyproject.toml the files mutmut mutates; each file must hold mutants in scope, and every pattern of
the scope must fall in a mutated file, or the score would silently leave modules out."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from mutation_score import SCOPE

ROOT = Path(__file__).resolve().parents[1]


def only_mutate() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    paths: list[str] = config["tool"]["mutmut"]["only_mutate"]
    return paths


def module_pattern(path: str) -> str:
    """`src/intervention_engine/policies/*` → `intervention_engine.policies.*` (a file's module, or a folder's)."""
    dotted = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
    return dotted if dotted.endswith("*") else dotted + ".*"


def test_every_mutated_file_holds_mutants_in_scope_and_every_scope_pattern_a_mutated_file() -> None:
    files = [module_pattern(path) for path in only_mutate()]
    for pattern in SCOPE:
        assert any(fnmatch(pattern.removesuffix("*") + "x", f) for f in files), f"{pattern}: no file mutated"
    for f in files:
        assert any(fnmatch(p.removesuffix("*") + "x", f) for p in SCOPE), f"{f}: mutated, never scored"


def test_the_scope_is_the_issue_s_list() -> None:
    """policies/, aggregates/, calendar.py, the partial-date parsing and simulation/kernel.py."""
    named = {p.removeprefix("intervention_engine.").split(".x_")[0].removesuffix(".*") for p in SCOPE}
    assert named == {
        "calendar", "facts.precision", "history.partial_dates", "policies", "aggregates", "simulation.kernel"
    }  # fmt: skip
    assert [p for p in SCOPE if p.startswith("intervention_engine.facts.")] == [
        "intervention_engine.facts.precision.x_parse_partial_date__*",  # the partial dates only, of facts/
        "intervention_engine.facts.precision.x_period_of__*",
    ]
