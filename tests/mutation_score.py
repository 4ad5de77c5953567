"""Print the mutation score of the domain core from mutmut's results (`make mutate` runs it after `mutmut run`).

The score is killed / (killed + survived + no tests), over the mutants mutmut has checked, per module and in all;
every survivor is listed by name (`mutmut show NAME` prints its diff). Mutants not yet checked (an interrupted run)
are counted and named as such, never scored.
"""

from __future__ import annotations

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
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def module_of(name: str) -> str:
    path = name.split("__mutmut_")[0].rsplit(".", 1)[0]
    return path.removeprefix("intervention_engine.")


def main() -> int:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run([str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True).stdout
    results = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if status and any(fnmatch(name, pattern) for pattern in SCOPE):
            results[name] = status
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for name, status in results.items():
        by_module[module_of(name)]["killed" if status in KILLED else status] += 1
    total: Counter[str] = Counter()
    print(f"{'module':45} {'killed':>7} {'survived':>9} {'no tests':>9} {'unchecked':>10} {'score':>7}")
    for module, counts in sorted(by_module.items()):
        total += counts
        print(_row(module, counts))
    print(_row("all", total))
    survivors = sorted(name for name, status in results.items() if status in ("survived", "no tests"))
    print(f"\n{len(survivors)} surviving mutants (mutmut show NAME):")
    for name in survivors:
        print(f"  {name}  [{results[name]}]")
    return 0


def _row(module: str, counts: Counter[str]) -> str:
    scored = counts["killed"] + counts["survived"] + counts["no tests"]
    score = f"{100 * counts['killed'] / scored:.1f}%" if scored else "-"
    return (
        f"{module:45} {counts['killed']:>7} {counts['survived']:>9} {counts['no tests']:>9} "
        f"{counts['not checked']:>10} {score:>7}"
    )


if __name__ == "__main__":
    sys.exit(main())
