"""Service benchmark: facts recorded per second and latency over HTTP, on SQLite and PostgreSQL, and timer lateness.

    .venv/bin/python benchmarks/service.py [--facts 2000] [--clients 8] [--councils 153] [--timers 100]
                                           [--no-postgres] [--no-sqlite] [--quick]

1. Baseline, measured in the same run: the same facts through `InterventionEngine.record` called directly, in
   this process, one after another, on a fresh store of the same backend.
2. HTTP: a real `intervention-engine serve` process (uvicorn, 127.0.0.1) on a fresh store; `--clients` threads
   post the facts (each thread owns some councils and sends their facts in order, as a case-management service
   would), with an API token and an Idempotency-Key. Facts per second over the whole run, p50 and p99 of each
   request's latency, the ratio to the baseline, and how many facts the server recorded per batch (from /health:
   requests that arrive together are saved in one transaction, which the one-at-a-time baseline cannot do). On
   PostgreSQL a second row runs two server processes on one database, the clients spread over both.
   Under each row, what recording cost: CPU time per fact (the server process as a whole, HTTP included, read from
   /proc; for the baseline, this process), of which deciding and saving (from /health), and the wall-clock time
   per transaction saved (encode, insert, commit) with the facts each carried.
3. Timer lateness (`--timers 0` skips it): `--timers` councils each with an action-plan timer (ILACS-07) due the
   same day; a server whose clock's next day begins a few seconds after start fires them; lateness is each
   `TimerFired` event's recorded time minus the instant its day ended. The baseline is APScheduler's own wake-up
   lateness for an empty job.

PostgreSQL is a throwaway server started for the run (tests/pg_server.py, fsync and synchronous_commit off: its
commits do not wait for the disk, SQLite's do), unless `--no-postgres`. Targets: issue 6, >= 500 facts/s with p99
<= 50 ms and timer lateness p99 <= 1 s; issue 11, >= 1,000 facts/s with p99 <= 50 ms. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "benchmark-recorder-token-0123"
TOKENS = json.dumps([{"token": TOKEN, "actor": "benchmark", "role": "recorder"}])
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "120"))
DAY_SHIFT_SECONDS = 4.0


# ----------------------------------------------------------------------------------------------------------------
# Facts: each council registered, judged inadequate, under a notice, then visited quarterly (all legal, in order).


def council_codes(count: int, first: int = 200) -> list[str]:
    return [f"{n:03d}" for n in range(first, first + count)]


def facts_for(code: str, count: int) -> list[tuple[str | None, dict[str, Any]]]:
    facts: list[tuple[str | None, dict[str, Any]]] = [
        (None, {"type": "council_registered", "occurred_on": "2014-01-01", "code": code, "name": f"Council {code}"}),
        (code, inspection(dt.date(2016, 11, 25))),
        (code, {"type": "improvement_notice_issued", "occurred_on": "2016-12-01"}),
        (code, {"type": "action_plan_submitted", "occurred_on": "2017-02-01"}),
    ]
    visit = dt.date(2017, 4, 1)
    while len(facts) < count:
        facts.append((code, {"type": "monitoring_visit_published", "occurred_on": visit.isoformat()}))
        visit += dt.timedelta(days=91)
    return facts[:count]


def inspection(on: dt.date) -> dict[str, Any]:
    grades = dict.fromkeys(("overall", "help_and_protection", "children_in_care", "leadership"), "inadequate")
    return {
        "type": "inspection_published",
        "occurred_on": on.isoformat(),
        "fieldwork_start": (on - dt.timedelta(days=70)).isoformat(),
        "fieldwork_end": (on - dt.timedelta(days=42)).isoformat(),
        "judgements": grades,
    }


def workload(total: int, councils: int, first: int = 200) -> dict[str, list[tuple[str | None, dict[str, Any]]]]:
    codes = council_codes(councils, first)
    per = [total // councils + (1 if i < total % councils else 0) for i in range(councils)]
    return {code: facts_for(code, max(1, n)) for code, n in zip(codes, per, strict=True)}


# ----------------------------------------------------------------------------------------------------------------
# Figures.


@dataclass
class Costs:
    """What recording cost the process that recorded: its CPU time in all (HTTP included, for a server), the CPU
    time of deciding (recording less saving) and of saving, and the saves (one transaction each: encode, insert,
    commit) with their wall-clock time."""

    facts: int
    cpu_seconds: float
    deciding_cpu_seconds: float
    saving_cpu_seconds: float
    saves: int
    save_seconds: float

    def __str__(self) -> str:
        return (
            f"    CPU {self.cpu_seconds / self.facts * 1000:.2f} ms per fact, of which deciding "
            f"{self.deciding_cpu_seconds / self.facts * 1000:.2f} ms and saving "
            f"{self.saving_cpu_seconds / self.facts * 1000:.2f} ms; save "
            f"{self.save_seconds / max(self.saves, 1) * 1000:.2f} ms per transaction "
            f"({self.facts / max(self.saves, 1):.1f} facts each)"
        )


@dataclass
class Figures:
    label: str
    facts: int
    seconds: float
    latencies: list[float]
    costs: Costs | None = None

    @property
    def per_second(self) -> float:
        return self.facts / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000

    def row(self, baseline: Figures | None) -> str:
        ratio = f"{self.per_second / baseline.per_second:5.2f}x" if baseline else "   1x"
        return (
            f"  {self.label:<34} {self.facts:>6} facts {self.per_second:8.0f}/s  p50 {self.percentile(50):6.1f} ms"
            f"  p99 {self.percentile(99):6.1f} ms  {ratio} baseline"
        )


def direct(settings: Any, work: dict[str, list[tuple[str | None, dict[str, Any]]]]) -> Figures:
    from intervention_engine import SystemClock, build_engine

    engine = build_engine(settings, clock=SystemClock())
    latencies: list[float] = []
    started, cpu = time.perf_counter(), time.process_time()
    try:
        for n, (council, fact) in enumerate(f for facts in work.values() for f in facts):
            begin = time.perf_counter()
            engine.record(council, fact, actor="benchmark", request_id=f"direct-{n}")
            latencies.append(time.perf_counter() - begin)
        cpu = time.process_time() - cpu
        saves = engine.store.saves
    finally:
        engine.close()
    figures = Figures("direct engine.record, 1 thread", len(latencies), time.perf_counter() - started, latencies)
    figures.costs = Costs(len(latencies), cpu, cpu - saves.cpu_seconds, saves.cpu_seconds, saves.count, saves.seconds)
    return figures


def over_http(urls: list[str], work: dict[str, list[tuple[str | None, dict[str, Any]]]], clients: int) -> Figures:
    """Clients on the standard library's http.client (one kept-alive connection each): light enough that the
    figures measure the server rather than the client, which shares this machine's cores."""
    codes = list(work)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        connections = {url: http.client.HTTPConnection(*url.removeprefix("http://").split(":")) for url in urls}
        try:
            for i, code in enumerate(codes[k::clients]):
                connection = connections[urls[(k + i) % len(urls)]]
                for n, (council, fact) in enumerate(work[code]):
                    path = "/councils" if council is None else f"/councils/{council}/facts"
                    headers = {**HEADERS, "Idempotency-Key": f"{code}-{n}"}
                    begin = time.perf_counter()
                    connection.request("POST", path, body=json.dumps(fact), headers=headers)
                    response = connection.getresponse()
                    body = response.read()
                    took = time.perf_counter() - begin
                    with lock:
                        latencies.append(took)
                        if response.status not in (200, 201):
                            errors.append(f"{response.status} {body[:200]!r}")
        finally:
            for connection in connections.values():
                connection.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, first: {errors[0]}")
    label = f"HTTP, {clients} clients, {len(urls)} process{'es' if len(urls) > 1 else ''}"
    return Figures(label, len(latencies), seconds, latencies)


def writes_beside_readers(url: str, work: dict[str, list[tuple[str | None, dict[str, Any]]]], readers: int) -> Figures:
    """One client records `work` fact by fact while `readers` clients loop on `GET /national` (every council's
    stage on every 31 March since 2014: the heaviest read), each on its own kept-alive connection."""
    host, port = url.removeprefix("http://").split(":")
    stop = threading.Event()
    reads: list[int] = []

    def read() -> None:
        connection, done = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT), 0
        while not stop.is_set():
            connection.request("GET", "/national", headers=HEADERS)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"GET /national answered {response.status}")
            done += 1
        connection.close()
        reads.append(done)

    looping = [threading.Thread(target=read) for _ in range(readers)]
    for thread in looping:
        thread.start()
    connection, latencies = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT), []
    started = time.perf_counter()
    try:
        for n, (council, fact) in enumerate(f for facts in work.values() for f in facts):
            path = "/councils" if council is None else f"/councils/{council}/facts"
            begin = time.perf_counter()
            connection.request(
                "POST", path, body=json.dumps(fact), headers={**HEADERS, "Idempotency-Key": f"w{readers}-{n}"}
            )
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - begin)
            if response.status not in (200, 201):
                raise SystemExit(f"a write answered {response.status}")
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        for thread in looping:
            thread.join()
        connection.close()
    label = f"1 writer, {readers} looping readers" + (f" ({sum(reads)} reads)" if readers else "")
    return Figures(label, len(latencies), seconds, latencies)


def batches(served: list[Served]) -> str:
    """Facts per batch the servers recorded (each batch is one transaction, but for a council's second fact)."""
    healths = [served_health(server) for server in served]
    facts, made = sum(h["recorded_facts"] for h in healths), sum(h["recorded_batches"] for h in healths)
    return f"  ({facts / max(made, 1):.1f} facts per batch)"


def served_health(server: Served) -> dict[str, Any]:
    import httpx2

    health: dict[str, Any] = httpx2.get(f"{server.url}/health").json()
    return health


def server_costs(served: list[Served], before: list[float]) -> Costs:
    """The servers' CPU time since `before` (each process's, from /proc: HTTP, validation, deciding, saving) and
    their health figures: the CPU time of `record_many` and of its saves."""
    healths = [served_health(server) for server in served]
    cpu = sum(server.cpu_seconds() - start for server, start in zip(served, before, strict=True))
    saving = sum(h["save_cpu_seconds"] for h in healths)
    deciding = sum(h["recorded_cpu_seconds"] for h in healths) - saving
    facts = sum(h["recorded_facts"] for h in healths)
    saves, save_seconds = sum(h["saves"] for h in healths), sum(h["save_seconds"] for h in healths)
    return Costs(facts, cpu, deciding, saving, saves, save_seconds)


# ----------------------------------------------------------------------------------------------------------------
# Servers.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def env_of(options: dict[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVENTION_ENGINE_")}
    env["INTERVENTION_ENGINE_TOKENS"] = TOKENS
    env.update({f"INTERVENTION_ENGINE_{k.upper()}": str(v) for k, v in options.items()})
    return env


@dataclass
class Served:
    """A server process the benchmark started, and its URL."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The process's CPU time so far, user and system, all threads (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def servers(options: dict[str, Any], count: int, log: Path, *shift: str) -> Iterator[list[Served]]:
    import httpx2

    processes, urls = [], []
    try:
        for n in range(count):
            port = free_port()
            args = [sys.executable, __file__, "--serve", str(port), *shift]
            with (log.parent / f"{log.name}.{n}").open("wb") as out:
                processes.append(subprocess.Popen(args, env=env_of(options), stdout=out, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + TIMEOUT
        for url, process in zip(urls, processes, strict=True):
            while True:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server {url} did not start; see {log.parent}")
                try:
                    if httpx2.get(f"{url}/health").status_code == 200:
                        break
                except httpx2.TransportError:
                    time.sleep(0.05)
        yield [Served(url, process.pid) for url, process in zip(urls, processes, strict=True)]
    finally:
        for process in processes:
            process.terminate()
        for n, process in enumerate(processes):
            try:
                process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                tail = (log.parent / f"{log.name}.{n}").read_text(errors="replace").splitlines()[-15:]
                print(f"  (a server did not stop within {TIMEOUT:.0f} s of SIGTERM; killed; its log ends:)")
                print("\n".join(f"    | {line}" for line in tail))
                process.kill()
                process.wait()


class ShiftedClock:
    """A wall clock on which `day` begins at the epoch instant `begins_at` (days last 24 real hours)."""

    def __init__(self, day: dt.date, begins_at: float) -> None:
        self.day = day
        self.begins_at = dt.datetime.fromtimestamp(begins_at, dt.UTC)

    def today(self) -> dt.date:
        return self.day + dt.timedelta(days=(dt.datetime.now(dt.UTC) - self.begins_at) // dt.timedelta(days=1))

    def start_of(self, day: dt.date) -> dt.datetime:
        return self.begins_at + (day - self.day)


def serve(argv: list[str]) -> None:
    """The child process: `--serve PORT [DAY BEGINS_AT]`, settings from the environment."""
    import logging

    from intervention_engine import Settings
    from intervention_engine.service.server import run_server

    logging.basicConfig(level=logging.WARNING)
    port, *shift = argv
    if shift:
        clock = ShiftedClock(dt.date.fromisoformat(shift[0]), float(shift[1]))
        run_server(Settings(), port=int(port), clock=clock, day_starts=clock.start_of)
    else:
        run_server(Settings(), port=int(port), scheduler=False)


# ----------------------------------------------------------------------------------------------------------------
# Timer lateness.


def timer_lateness(options: dict[str, Any], settings: Any, timers: int, log: Path) -> tuple[list[float], list[float]]:
    from intervention_engine import VirtualClock, build_engine

    engine = build_engine(settings, clock=VirtualClock(dt.date(2014, 1, 1)))
    try:
        for code in council_codes(timers):
            for council, fact in facts_for(code, 2):  # registered, judged inadequate: action plan due (ILACS-07)
                engine.record(council, fact)
        due = {timer.due_on for timer in engine.due() if timer.kind == "action_plan_due"}
        (due_on,) = due
    finally:
        engine.close()
    fires = due_on + dt.timedelta(days=1)
    begins_at = time.time() + DAY_SHIFT_SECONDS
    instant = dt.datetime.fromtimestamp(begins_at, dt.UTC)
    with servers({**options, "scheduler_resync_seconds": 60}, 1, log, fires.isoformat(), str(begins_at)):
        observer = build_engine(settings, clock=VirtualClock(dt.date(2014, 1, 1)))
        try:
            deadline = time.monotonic() + TIMEOUT
            while len(fired := _fired(observer)) < timers and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            observer.close()
    lateness = [(recorded - instant).total_seconds() for recorded in fired]
    return lateness, scheduler_alone(rounds=20)


def _fired(engine: Any) -> list[dt.datetime]:
    """When each action-plan timer's firing was recorded (reading only TimerFired rows of the log)."""
    from intervention_engine.aggregates.council import event_topic

    rows = engine.store.recorder.select_notifications(0, 1_000_000, topics=[event_topic("TimerFired")])
    events = [engine.store.mapper.to_domain_event(row) for row in rows]
    return [event.timestamp for event in events if event.timer_id.endswith("action_plan_due")]


def scheduler_alone(rounds: int) -> list[float]:
    """APScheduler's own lateness: a no-op job's start minus its scheduled instant (the baseline)."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    late: list[float] = []
    done = threading.Semaphore(0)

    def job(at: dt.datetime) -> None:
        late.append((dt.datetime.now(dt.UTC) - at).total_seconds())
        done.release()

    scheduler = BackgroundScheduler(timezone=dt.UTC)
    scheduler.start()
    try:
        for _ in range(rounds):
            at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.05)
            scheduler.add_job(job, DateTrigger(run_date=at), args=[at])
            done.acquire(timeout=TIMEOUT)
    finally:
        scheduler.shutdown()
    return late


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# ----------------------------------------------------------------------------------------------------------------


def run_backend(name: str, options: dict[str, Any], make_settings: Any, args: argparse.Namespace, tmp: Path) -> None:
    work = workload(args.facts, args.councils)
    print(f"\n{name}: {args.facts} facts for {args.councils} councils")
    baseline = direct(make_settings("direct"), work)
    print(baseline.row(None))
    print(baseline.costs)
    for processes in [1, 2] if name == "PostgreSQL" else [1]:
        settings_options = options(f"http{processes}")
        with servers(settings_options, processes, tmp / f"{name}-{processes}.log") as served:
            urls, before = [server.url for server in served], [server.cpu_seconds() for server in served]
            print(over_http(urls, work, args.clients).row(baseline) + batches(served))
            print(server_costs(served, before))
            if processes == 1:  # the store now holds the facts above: writes alone, then beside four readers
                facts = max(50, args.facts // 10)
                alone = writes_beside_readers(urls[0], workload(facts, 10, first=600), 0)
                print(alone.row(None).replace("   1x baseline", "   (its baseline)"))
                beside = writes_beside_readers(urls[0], workload(facts, 10, first=700), 4)
                print(beside.row(alone) + f"  (write p99 {beside.percentile(99) / alone.percentile(99):.1f}x alone)")
    if not args.timers:
        return
    lateness, alone = timer_lateness(options("timers"), make_settings("timers"), args.timers, tmp / f"{name}-t.log")
    print(
        f"  timer lateness, {len(lateness)} timers due at once:  p50 {p(lateness, 50) * 1000:6.0f} ms  "
        f"p99 {p(lateness, 99) * 1000:6.0f} ms  max {max(lateness) * 1000:6.0f} ms  "
        f"(APScheduler wake-up alone: p99 {p(alone, 99) * 1000:.1f} ms; ratio {p(lateness, 99) / p(alone, 99):.0f}x)"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--councils", type=int, default=153)
    parser.add_argument("--timers", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a few hundred facts, to check the benchmark runs")
    args = parser.parse_args()
    if args.quick:
        args.facts, args.councils, args.timers = 300, 30, 20
    sys.path.insert(0, str(ROOT / "tests"))
    from intervention_engine import Settings

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"service benchmark: {os.cpu_count()} cores (load average {load}), Python {sys.version.split()[0]}, "
          "targets >= 1,000 facts/s, p99 <= 50 ms, timer lateness p99 <= 1 s")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)

        def sqlite_options(name: str) -> dict[str, Any]:
            return {"backend": "sqlite", "db": tmp / f"{name}.sqlite"}

        if not args.no_sqlite:
            run_backend("SQLite", sqlite_options, lambda name: Settings(**sqlite_options(name)), args, tmp)
        if not args.no_postgres:
            from pg_server import PostgresUnavailable, start_postgres

            try:
                server = start_postgres()
            except PostgresUnavailable as error:
                print(f"\nPostgreSQL: skipped ({error})")
                return
            try:

                def pg_options(name: str) -> dict[str, Any]:
                    return {**pg_env(server), "postgres_schema": schemas.setdefault(name, server.new_schema(name))}

                schemas: dict[str, str] = {}
                run_backend("PostgreSQL", pg_options, lambda name: Settings(**pg_options(name)), args, tmp)
            finally:
                server.stop()


def pg_env(server: Any) -> dict[str, Any]:
    return {
        "backend": "postgres",
        "postgres_host": server.host,
        "postgres_port": server.port,
        "postgres_user": server.user,
        "postgres_dbname": server.dbname,
    }


if __name__ == "__main__":
    main()
