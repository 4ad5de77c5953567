"""FastAPI's OpenTelemetry instrumentation is a setting (`INTERVENTION_ENGINE_TELEMETRY`, off by default): on, each
request is a span of the process's tracer provider; off, no request looks the providers up (about 10 of the 160
to 170 µs the HTTP stack spends on a recorded fact, benchmarks/http_stack.py). Each case runs in a fresh
interpreter, because OpenTelemetry lets a process set its global tracer provider once."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.trace import NoOpTracer, TracerProvider

spans = []

class Recording(NoOpTracer):
    def start_span(self, name, *args, **kwargs):
        spans.append(name)
        return super().start_span(name, *args, **kwargs)
    def start_as_current_span(self, name, *args, **kwargs):
        spans.append(name)
        return super().start_as_current_span(name, *args, **kwargs)

class Provider(TracerProvider):
    def get_tracer(self, *args, **kwargs):
        return Recording()

trace.set_tracer_provider(Provider())
from intervention_engine import Settings, build_engine
from intervention_engine.service.compose import build_app

settings = Settings(backend="memory", telemetry=sys.argv[1] == "on")
with TestClient(build_app(settings, scheduler=False)) as client:
    assert client.get("/health").status_code == 200
print("fastapi.endpoint" in spans, len(spans))
"""


def spans_of_one_request(setting: str) -> tuple[bool, int]:
    ran = subprocess.run([sys.executable, "-c", SCRIPT, setting], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-2000:]
    endpoint, count = ran.stdout.split()
    return endpoint == "True", int(count)


def test_with_telemetry_on_a_request_is_traced_to_the_process_provider() -> None:
    endpoint, count = spans_of_one_request("on")
    assert endpoint  # the endpoint's own span, beside the request's
    assert count >= 2


def test_with_telemetry_off_no_span_is_started() -> None:
    assert spans_of_one_request("off") == (False, 0)
