"""Print the mutation score of the domain core from mutmut's results (`make mutate` runs it after `mutmut run`).

The score is killed / (killed + survived + no tests), over the mutants mutmut has checked, per module and in all;
a timeout counts as killed (mutmut's convention) but has a column of its own, because under load a slow test can
time out where it would not otherwise: `make mutate` runs every timed-out mutant again. Every survivor is listed by
name (`mutmut show NAME` prints its diff), flagged when docs/mutation-survivors.md has no line saying why it
survives. Mutants not yet checked (an interrupted run) are counted and named as such, never scored.

`--pending` prints instead the mutants `make mutate` still has to run, one per line: every mutant in scope that is
not killed (not checked, survived, no tests, timed out, suspicious or interrupted). mutmut keeps a verdict per
mutant in `mutants/` and resets it when the function it mutates changes, so a killed mutant of an unchanged
function is not run again. Before the first run (no `mutants/` yet) it prints the scope itself; when no mutant is
pending but a source file in scope changed since it was mutated, it prints that file's mutants, so that mutmut
mutates it again. `--unchecked` prints only the mutants with no verdict yet (or timed out): those a pass of
`make mutate` left, or whose function changed since.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from fnmatch import fnmatch
from pathlib import Path

# The mutants `make mutate` runs: the modules of issue 15, and in facts/ only the partial dates (precision.py).
SCOPE = (
    "intervention_engine.calendar.*",
    "intervention_engine.facts.precision.x_parse_partial_date__*",
    "intervention_engine.history.partial_dates.*",
    "intervention_engine.facts.precision.x_period_of__*",
    "intervention_engine.policies.*",
    "intervention_engine.aggregates.*",
    "intervention_engine.simulation.kernel.*",
)
KILLED = {"killed", "segfault", "caught by type check"}
SCORED = ("killed", "timeout", "survived", "no tests")
SOURCE = Path("src")
MUTANTS = Path("mutants")
TRIAGE = Path("docs/mutation-survivors.md")  # one line per survivor: why it is equivalent or not worth a test


def module_of(name: str) -> str:
    path = name.split("__mutmut_")[0].rsplit(".", 1)[0]
    return path.removeprefix("intervention_engine.")


def in_scope(name: str) -> bool:
    return any(fnmatch(name, pattern) for pattern in SCOPE)


def results() -> dict[str, str]:
    """Every mutant in scope and its status, as `mutmut results --all true` gives it."""
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if status and in_scope(name):
            found[name] = status
    return found


def pending(only_unchecked: bool = False) -> list[str]:
    """The mutants still to run (see the module's docstring)."""
    if not MUTANTS.is_dir():
        return list(SCOPE)
    done = KILLED | set(SCORED) - {"timeout"} if only_unchecked else KILLED
    names = sorted(name for name, status in results().items() if status not in done)
    if only_unchecked:
        return names
    if names:
        return names
    stale = []
    for meta in sorted(MUTANTS.glob("src/**/*.py.meta")):
        source = SOURCE / meta.relative_to(MUTANTS / SOURCE).with_suffix("")
        mutated = meta.with_suffix("")
        if source.exists() and source.stat().st_mtime > mutated.stat().st_mtime:
            keys = json.loads(meta.read_text())["exit_code_by_key"]
            stale += [name for name in keys if in_scope(name)]
    return sorted(stale)


def main(argv: list[str]) -> int:
    if argv in (["--pending"], ["--unchecked"]):
        print("\n".join(pending(only_unchecked=argv == ["--unchecked"])))
        return 0
    found = results()
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status in found.items():
        by_module[module_of(name)][status if status in SCORED else "killed" if status in KILLED else "unchecked"] += 1
    total: Counter[str] = Counter()
    print(f"{'module':40} {'killed':>7} {'timeout':>8} {'survived':>9} {'no tests':>9} {'unchecked':>10} {'score':>7}")
    for module, counts in sorted(by_module.items()):
        total += counts
        print(_row(module, counts))
    print(_row("all", total))
    survivors = sorted(name for name, status in found.items() if status in ("survived", "no tests"))
    explained = set(re.findall(r"`([^`]+__mutmut_\d+)`", TRIAGE.read_text())) if TRIAGE.exists() else set()
    print(f"\n{len(survivors)} surviving mutants (mutmut show NAME; why each survives: {TRIAGE}):")
    for name in survivors:
        note = "" if name.removeprefix("intervention_engine.") in explained else f", no line in {TRIAGE}"
        print(f"  {name}  [{found[name]}{note}]")
    unchecked = sorted(name for name, status in found.items() if status not in SCORED and status not in KILLED)
    if unchecked:
        print(f"\n{len(unchecked)} mutants not checked (run `make mutate` again):")
        for name in unchecked:
            print(f"  {name}  [{found[name]}]")
    return 0


def _row(module: str, counts: Counter[str]) -> str:
    killed = counts["killed"] + counts["timeout"]
    scored = killed + counts["survived"] + counts["no tests"]
    score = f"{100 * killed / scored:.1f}%" if scored else "-"
    return (
        f"{module:40} {counts['killed']:>7} {counts['timeout']:>8} {counts['survived']:>9} {counts['no tests']:>9} "
        f"{counts['unchecked']:>10} {score:>7}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
