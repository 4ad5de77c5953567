"""HTTP stack benchmark: the CPU time the service's ASGI application (FastAPI, its middleware, validation of the
fact, the response) spends on one `POST /councils/{council}/facts`, without the engine, uvicorn or a socket.

    .venv/bin/python benchmarks/http_stack.py [--requests 2000] [--rounds 5]

The app is `service.create_app` over an in-memory engine whose gate answers every fact with the same `Recorded` at
once, so only the HTTP stack is measured. Each variant is called in this process as uvicorn would call it (scope,
receive, send); the best round's CPU time per request is printed beside the ratio to the baseline measured in the
same run: the FastAPI route alone (the app without `service/hot_path.py`'s `RecordRoute`), with telemetry off. The
other variants: the FastAPI route with FastAPI's OpenTelemetry on (`INTERVENTION_ENGINE_TELEMETRY=true`, which also
leaves every request to the FastAPI route), and the app as served by default (telemetry off, the hot path
answering). benchmarks/service.py measures the whole server over real HTTP. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.engine import RecordCommand, Recorded
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.hot_path import RecordRoute

TOKEN = "benchmark-recorder-token-0123"
BODY = json.dumps({"type": "monitoring_visit_published", "occurred_on": "2017-04-01"}).encode()
STATES = {"judgement": "inadequate", "instrument": "improvement_notice"}
ANSWER = Recorded("382", "monitoring_visit_published", dt.date(2017, 4, 1), "improvement_notice", STATES, 1)


def app_of(telemetry: bool, hot_path: bool = True) -> Any:
    registry = TokenRegistry(
        Settings(backend="memory", tokens=[{"token": TOKEN, "actor": "bench", "role": "recorder"}]).api_tokens()
    )
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2018, 1, 1)))
    app = create_app(engine, tokens=registry, telemetry=telemetry)
    if not hot_path:
        app.router.routes[:] = [route for route in app.router.routes if not isinstance(route, RecordRoute)]

    async def answer(command: RecordCommand) -> Recorded:
        return ANSWER

    app.state.gate.record = answer
    return app


async def post(app: Any) -> None:
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {TOKEN}".encode()),
               (b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode()),
               (b"idempotency-key", b"bench-1")]  # fmt: skip
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/councils/382/facts", "raw_path": b"/councils/382/facts", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "root_path": "",
             "state": {}}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    if sent[0]["status"] != 201:
        raise SystemExit(f"the app answered {sent[0]['status']}: {sent[1:]}")


async def cpu_per_request(app: Any, requests: int, rounds: int) -> float:
    async with app.router.lifespan_context(app):
        for _ in range(200):  # warm up
            await post(app)
        best = float("inf")
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(requests):
                await post(app)
            best = min(best, (time.process_time() - started) / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    apps = {
        "FastAPI route (baseline)": app_of(telemetry=False, hot_path=False),
        "FastAPI route, telemetry on": app_of(telemetry=True),
        "hot path (the default)": app_of(telemetry=False),
    }
    best: dict[str, float] = {}
    for name, app in apps.items():
        best[name] = asyncio.run(cpu_per_request(app, args.requests, args.rounds))
    baseline = best["FastAPI route (baseline)"]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "unknown"
    print(f"HTTP stack benchmark: {os.cpu_count()} cores (load average {load}), Python {sys.version.split()[0]}")
    print(f"HTTP stack, one recorded fact, best of {args.rounds} rounds of {args.requests} requests")
    for name, seconds in best.items():
        print(f"  {name:30} {seconds * 1e6:6.0f} µs CPU per request  {seconds / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
