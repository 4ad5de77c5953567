"""The README is executable: its Python runs, its diagram is the one the rulebook draws, and every shell example
runs as written, command by command, from a fresh temporary directory (issue 13 item 7).

The temporary directory is laid out as the README assumes a clone is: the project's `scenarios/` copied into it,
and `../shared` beside it (a link to the shared data the tests read). Blocks that use `demo.sqlite` get a copy of
the store `make demo` writes, made once by the same command the Makefile runs. A command that serves until
Ctrl-C (`run`, `serve`) is started in the background, waited for, and stopped with SIGINT after the block's other
commands (the HTTP example's port 8000 is replaced by a free port, so a server already on 8000 does not matter).
Each command must exit 0, and `curl --fail-with-body` fails on any HTTP error.

Blocks that cannot run here are listed in `NOT_RUN` with the reason; a test checks that each entry still names
exactly one block, so the list cannot go stale silently.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from intervention_engine.policies.rulebook import Rulebook

from shared_data import SHARED

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
TIMEOUT = 900

NOT_RUN = {
    "make demo   #": "`make test` runs this very suite (it cannot run itself) and both build .venv from the package "
    "registry; the demo's command is run by the `demo_db` fixture below, as the Makefile runs it",
    "PLANT_BUG=": "runs the project's own tests/ with a bug planted, and is meant to fail; tests/test_planted_bugs.py "
    "runs the same plugin for every planted bug",
    "pip install -e '.[postgres]'": "needs a PostgreSQL server at db.internal, a host on a network; "
    "tests/test_postgres_service.py runs two `serve` processes against a throwaway local server instead",
}


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


# ----------------------------------------------------------------------------------------------------------------
# Shell examples.


def commands_of(block: str) -> list[str]:
    """The commands of a shell block: lines joined at a trailing backslash, a here-document kept with its command
    (bash reads the comments)."""
    lines = [line.rstrip() for line in textwrap.dedent(block).splitlines()]
    commands: list[str] = []
    index = 0
    while index < len(lines):
        command = lines[index]
        index += 1
        if not command or command.startswith("#"):
            continue
        while command.endswith("\\"):
            command = command[:-1].rstrip() + " " + lines[index].strip()
            index += 1
        heredoc = re.search(r"<<'(\w+)'", command)
        if heredoc:
            end = lines.index(heredoc.group(1), index)
            command = "\n".join([command, *lines[index:end], heredoc.group(1)])
            index = end + 1
        commands.append(command)
    return commands


def test_commands_of_joins_continuations_and_here_documents() -> None:
    block = "a 1 \\\n    2   # two\n\ncat > f <<'X'\n[1,\n 2]\nX\n# a comment\nb\n"
    assert commands_of(block) == ["a 1 2   # two", "cat > f <<'X'\n[1,\n 2]\nX", "b"]


SHELL_BLOCKS = _blocks("sh")
RUN = [block for block in SHELL_BLOCKS if not any(key in block for key in NOT_RUN)]


def test_every_block_left_out_is_named_once_with_its_reason() -> None:
    for key, reason in NOT_RUN.items():
        assert sum(key in block for block in SHELL_BLOCKS) == 1, key
        assert reason
    assert len(RUN) + len(NOT_RUN) == len(SHELL_BLOCKS)
    assert len(RUN) >= 4  # the command line, the register counts, what-if and Monte Carlo, the HTTP API


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INTERVENTION_ENGINE_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _project(tmp_path: Path) -> Path:
    """A fresh directory laid out as a clone: `scenarios/` in it, `../shared` beside it."""
    (tmp_path / "shared").symlink_to(SHARED, target_is_directory=True)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "scenarios", project / "scenarios")
    return project


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """demo.sqlite as `make demo` writes it (the Makefile's `demo` command, run here from a fresh clone's layout)."""
    project = _project(tmp_path_factory.mktemp("demo"))
    command = [
        sys.executable, "-m", "intervention_engine.demo", "--db", "demo.sqlite",
        "--scenario", "scenarios/kirklees.yaml", "--ofsted-csv", "../shared/data/ofsted_inspections.csv",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=project, env=_environment(), capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    return project / "demo.sqlite"


class Background:
    """A command that serves until Ctrl-C, started in the block's directory and stopped at the end of the block."""

    def __init__(self, command: str, cwd: Path, port: int | None) -> None:
        self.command = command
        self.port = port
        self.log = cwd / f"background-{id(self)}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                ["bash", "-c", command], cwd=cwd, env=_environment(), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.command} stopped: {self.output()[-2000:]}"
            if self._answers() if self.port is not None else "scheduler started" in self.output():
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.command} did not start within 120 s: {self.output()[-2000:]}")

    def _answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port or 0)) == 0

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """Ctrl-C, as the README says; the exit code."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=60)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _project(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("block", RUN, ids=[commands_of(block)[0][:50] for block in RUN])
def test_the_readme_shell_example_runs(block: str, project: Path, request: pytest.FixtureRequest) -> None:
    if "demo.sqlite" in block:
        shutil.copy(request.getfixturevalue("demo_db"), project / "demo.sqlite")
    port = _free_port()
    running: list[Background] = []
    try:
        for command in commands_of(block):
            command = re.sub(r"(?<=[: ])8000\b", str(port), command)  # the port, not E08000034
            if re.search(r"intervention-engine (run|serve)\b", command):
                server = Background(command, project, port if " serve" in command else None)
                server.wait_until_ready()
                running.append(server)
                continue
            done = subprocess.run(
                ["bash", "-c", command], cwd=project, env=_environment(), capture_output=True, text=True,
                timeout=TIMEOUT,
            )  # fmt: skip
            assert done.returncode == 0, (
                f"{command}\nexit {done.returncode}\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
            )
    finally:
        stopped = [(server.command, server.stop(), server.output()[-1500:]) for server in running]
    for command, code, output in stopped:
        # uvicorn re-raises the SIGINT once it has shut down cleanly, so a shell sees 128 + 2, as for any program
        # stopped with Ctrl-C; the scheduler alone exits 0.
        assert code in (0, 128 + signal.SIGINT), f"{command} exited {code} on Ctrl-C: {output}"
        assert "Traceback" not in output
