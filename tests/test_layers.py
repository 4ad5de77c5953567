"""The layers of the package are a contract: `lint-imports` checks pyproject.toml's `[tool.importlinter]` contracts
against the real import graph (README "Layout"), so an import that climbs a layer fails `make test`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},  # one line per import, however narrow the terminal
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_import_contract_holds() -> None:
    run = _lint_imports()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 4 kept, 0 broken." in run.stdout


BROKEN_CONTRACT = """
[tool.importlinter]
root_package = "intervention_engine"

[[tool.importlinter.contracts]]
name = "engine without persistence"
type = "forbidden"
source_modules = ["intervention_engine.engine"]
forbidden_modules = ["intervention_engine.persistence"]
"""


def test_an_import_that_climbs_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    # The engine does import persistence (its store): a contract forbidding it must fail and name the import, so a
    # passing run above means the contracts were checked against the real graph, not an empty one.
    config = tmp_path / "contracts.toml"
    config.write_text(BROKEN_CONTRACT, encoding="utf-8")
    run = _lint_imports("--config", str(config))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "engine without persistence BROKEN" in run.stdout
    assert "intervention_engine.engine -> intervention_engine.persistence" in run.stdout


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1]


def test_the_readme_layout_names_every_module_and_package_of_the_tree() -> None:
    package = ROOT / "src" / "intervention_engine"
    top = {p.name for p in package.glob("*.py")} | {f"{p.parent.name}/" for p in package.glob("*/__init__.py")}
    layout = _layout()
    assert top - set(layout.split()) == set()
    assert "persistence/" in top  # the wing, not loose modules at the root
    assert {"commands.py", "store.py", "subscriptions.py", "store_checks.py"} & top == set()


def test_every_file_the_readme_layout_names_exists() -> None:
    named = set(re.findall(r"\b([a-z_0-9]+\.py)\b", _layout()))
    present = {p.name for folder in ("src", "benchmarks") for p in (ROOT / folder).rglob("*.py")}
    assert named - present == set()
    assert {"compose.py", "scheduler.py", "leader.py", "cache.py", "checks.py", "subscriptions.py"} <= named


MAX_LINES = 400


def test_no_module_under_src_is_over_400_lines() -> None:
    # Modules of one purpose each (the brief's standard): a module that outgrows 400 lines is split by purpose.
    modules = sorted((ROOT / "src").rglob("*.py"))
    lines = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines()) for path in modules}
    assert "src/intervention_engine/engine.py" in lines  # the walk read the package, not an empty folder
    assert len(lines) > 100
    assert {module: count for module, count in lines.items() if count > MAX_LINES} == {}
