"""The README is executable: its Python runs and its diagram is the one the rulebook draws."""

from __future__ import annotations

import re
from pathlib import Path

from intervention_engine.policies.rulebook import Rulebook

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_python_examples_run() -> None:
    blocks = _blocks("python")
    assert blocks, "the README has no Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_the_readme_diagram_is_generated_from_the_rulebook() -> None:
    assert _blocks("mermaid") == [Rulebook().mermaid()]


def test_the_readme_shows_the_two_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
