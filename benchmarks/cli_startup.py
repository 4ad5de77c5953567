"""Start-up benchmark of the command line: how long `intervention-engine --version` and `--help` take, beside a
bare Python start and the import of the whole engine measured in the same run (issue 13: target under 0.5 s).

    .venv/bin/python benchmarks/cli_startup.py [--rounds 7]

Each command runs `--rounds` times in a fresh process, interleaved; the median wall time of each is printed, with
its ratio to the bare interpreter's start. Figures are printed, never asserted: timing belongs in benchmarks.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("intervention-engine")
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "intervention-engine --version": [str(SCRIPT), "--version"],
    "intervention-engine --help": [str(SCRIPT), "--help"],
    "import the whole engine": [sys.executable, "-c", "import intervention_engine.engine, intervention_engine.cli"],
}
TARGET = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.rounds):
        for name, command in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    baseline = statistics.median(times["python -c pass (baseline)"])
    print(f"{'command':32} {'median s':>9} {'best s':>8} {'x baseline':>11}")
    for name, measured in times.items():
        median = statistics.median(measured)
        print(f"{name:32} {median:9.3f} {min(measured):8.3f} {median / baseline:10.1f}x")
    version = statistics.median(times["intervention-engine --version"])
    verdict = "met" if version < TARGET else "NOT met"
    print(f"Start-up of intervention-engine --version: {version:.3f} s (target: under {TARGET} s, {verdict})")


if __name__ == "__main__":
    main()
