"""A throwaway PostgreSQL server for the tests and the benchmarks: `initdb` into a temporary folder, start it on a
free port of 127.0.0.1 (no durability: fsync off), and delete it all when stopped.

PostgreSQL refuses to run as root, so as root (CI runs as root) the server runs as the `postgres` user through
`runuser`. The binaries are found on PATH or under /usr/lib/postgresql/<version>/bin (Debian's layout).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intervention_engine import Settings

_SCHEMAS = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here; the message says why."""


@dataclass
class PostgresServer:
    """A running throwaway server; `settings(schema)` gives engine settings for a schema of its own."""

    host: str
    port: int
    base: Path
    bindir: Path
    run_as: list[str]
    user: str = "postgres"
    dbname: str = "postgres"
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.base / "server.log"

    def settings(self, schema: str = "", **overrides: Any) -> Settings:
        options: dict[str, Any] = {
            "backend": "postgres",
            "postgres_host": self.host,
            "postgres_port": self.port,
            "postgres_dbname": self.dbname,
            "postgres_user": self.user,
            "postgres_schema": schema,
            "postgres_pool_size": 2,
            "postgres_max_overflow": 8,
            **overrides,
        }
        return Settings(**options)

    def new_schema(self, prefix: str = "t") -> str:
        """A fresh, empty schema (one per test keeps tests apart on one server)."""
        name = f"{prefix}{os.getpid()}_{next(_SCHEMAS)}"
        self.execute(f'CREATE SCHEMA "{name}"')
        return name

    def execute(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=self.dbname, autocommit=True
        ) as connection:
            cursor = connection.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _run([*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.base / "data"), "-m", "immediate", "stop"],
                 "pg_ctl stop")  # fmt: skip
        shutil.rmtree(self.base, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a throwaway server, or raise `PostgresUnavailable` saying why not."""
    bindir = _bindir()
    base = Path(tempfile.mkdtemp(prefix="ie-pg-"))
    try:
        run_as = _run_as(base)
        _run([*run_as, str(bindir / "initdb"), "-D", str(base / "data"), "-U", "postgres", "--auth=trust",
              "--no-sync", "-E", "UTF8", "--locale=C"], "initdb")  # fmt: skip
        for _attempt in range(3):  # a free port can be taken between choosing it and binding it
            port = _free_port()
            server = PostgresServer("127.0.0.1", port, base, bindir, run_as)
            options = (
                f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=300"
            )
            started = subprocess.run(
                [*run_as, str(bindir / "pg_ctl"), "-D", str(base / "data"), "-l", str(server.log), "-w", "-t", "60",
                 "-o", options, "start"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return server
        log = server.log.read_text() if server.log.exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()} {log[-2000:]}")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise PostgresUnavailable("no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql")


def _run_as(base: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root, and there is no 'postgres' user to run the server as") from None
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise PostgresUnavailable("running as root, and runuser is missing to run the server as 'postgres'")
    os.chown(base, user.pw_uid, user.pw_gid)
    return [runuser, "-u", "postgres", "--"]


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PostgresUnavailable(f"{what} failed: {error}") from None
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed: {done.stderr.strip()}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
