"""Each of the nine bugs of issue 15, planted again through a small patch (`planted_bugs.py`), fails the tests named
beside it: a pytest run of those tests with the bug planted must report every one of them failed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planted_bugs import BUGS

from shared_data import SHARED

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("bug", list(BUGS))
def test_a_planted_bug_fails_the_tests_that_guard_against_it(bug: str) -> None:
    _, catching = BUGS[bug]
    env = {**os.environ, "PLANT_BUG": bug, "SHARED_DIR": str(SHARED), "PYTHONPATH": str(ROOT / "tests")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "planted_bugs", "-p", "no:cacheprovider", "-q", "-rf", *catching],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    failed = {line.split()[1] for line in run.stdout.splitlines() if line.startswith("FAILED ")}
    assert run.returncode == 1, run.stdout + run.stderr
    assert failed == set(catching), run.stdout


def test_an_unknown_planted_bug_is_refused_by_name() -> None:
    env = {**os.environ, "PLANT_BUG": "no_such_bug", "SHARED_DIR": str(SHARED), "PYTHONPATH": str(ROOT / "tests")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "planted_bugs", "-p", "no:cacheprovider", "-q", "tests/test_eras.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 4
    assert "PLANT_BUG='no_such_bug' is not a planted bug" in run.stderr


def test_the_readmes_planted_bug_command_fails_the_tests_it_names() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [command] = re.findall(r"^PLANT_BUG=.*$", readme, flags=re.MULTILINE)
    bug = command.split()[0].removeprefix("PLANT_BUG=")
    assert bug in BUGS
    env = {**os.environ, "SHARED_DIR": str(SHARED)}
    run = subprocess.run(
        command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert all(f"FAILED {test}" in run.stdout for test in BUGS[bug][1]), run.stdout
