"""The HTTP service in a child process, configured as a deployment is (by the environment), for the tests.

Run as a script: `python tests/http_service.py PORT LOG [DAY SECONDS]` serves on 127.0.0.1:PORT with `Settings()`
read from the INTERVENTION_ENGINE_* variables, logging to LOG. With DAY and SECONDS the clock is a `ShiftedClock`
whose DAY begins SECONDS from now (timers fall due in seconds); without them it is the system clock.

Imported: `ServerProcess` starts, waits for, kills and restarts such a child; `TOKENS` are the tests' API tokens.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
TIMEOUT = 60.0  # a bound on waiting, never an expectation of speed

READER = "reader-token-0123456789"
RECORDER = "recorder-token-0123456789"
ADMIN = "admin-token-0123456789abc"
TOKENS = [
    {"token": READER, "actor": "ann.reader", "role": "reader"},
    {"token": RECORDER, "actor": "bob.recorder", "role": "recorder"},
    {"token": ADMIN, "actor": "cat.admin", "role": "admin"},
]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_env(settings: Mapping[str, Any]) -> dict[str, str]:
    """The environment of a service process: the INTERVENTION_ENGINE_* variables for `settings`, with the tokens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVENTION_ENGINE_")}
    env["INTERVENTION_ENGINE_TOKENS"] = json.dumps(TOKENS)
    for key, value in settings.items():
        env[f"INTERVENTION_ENGINE_{key.upper()}"] = str(value)
    return env


class ServerProcess:
    """One service process on 127.0.0.1:port; `start` waits until it answers /health."""

    def __init__(self, env: Mapping[str, str], log: Path, *, port: int | None = None) -> None:
        self.env = dict(env)
        self.log = log
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.output = log.with_suffix(".out")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, day: dt.date | None = None, begins_in: float | None = None) -> ServerProcess:
        args = [sys.executable, str(HERE), str(self.port), str(self.log)]
        if day is not None:
            args += [day.isoformat(), str(begins_in)]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(args, env=self.env, stdout=output, stderr=subprocess.STDOUT)
        self.wait_until(lambda: self.health() is not None, "the server to answer /health")
        return self

    def health(self) -> dict[str, Any] | None:
        import httpx2

        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the server exited with {self.process.returncode}{self.diagnostics()}")
        try:
            response = httpx2.get(f"{self.url}/health", timeout=5)
        except httpx2.TransportError:
            return None
        return dict(response.json()) if response.status_code == 200 else None

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        from waiting import eventually  # the tests' helper (this file also runs as the server, without pytest)

        eventually(condition, what, self.diagnostics, timeout=TIMEOUT)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=TIMEOUT)

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait(timeout=TIMEOUT)

    def diagnostics(self) -> str:
        log = self.log.read_text() if self.log.exists() else ""
        out = self.output.read_text() if self.output.exists() else ""
        return f"\n--- log ---\n{log[-4000:]}\n--- output ---\n{out[-4000:]}"


def main(argv: list[str]) -> None:
    from intervention_engine import Settings
    from intervention_engine.service.server import run_server

    from live_service import ShiftedClock

    port, log, *shift = argv
    logging.basicConfig(filename=log, level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if shift:
        clock = ShiftedClock(dt.date.fromisoformat(shift[0]), begins_in=float(shift[1]))
        run_server(Settings(), port=int(port), clock=clock, day_starts=clock.start_of)
    else:
        run_server(Settings(), port=int(port))


if __name__ == "__main__":
    main(sys.argv[1:])
