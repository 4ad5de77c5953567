"""The OpenAPI spec states what the server enforces (issue 14): `schemathesis run --checks all` against the spec a
real server serves, with an admin's token, finds no failure. Examples are bounded (`--max-examples`) and
deterministic; the endless event stream is left out (test_http_limits.py and test_http_service.py cover it)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from fastapi.testclient import TestClient

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.service import TokenRegistry, create_app

from factories import inspection, registration
from http_service import ADMIN, RECORDER, TIMEOUT, TOKENS, ServerProcess, auth, service_env

HERE = Path(__file__).resolve().parent
EXAMPLES = 20
VISIT = {"occurred_on": "2017-01-10"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(service_env({"backend": "sqlite", "db": tmp_path / "contract.sqlite"}), tmp_path / "s.log")
    process.start()
    with httpx2.Client(base_url=process.url, headers=auth(RECORDER)) as client:
        assert client.post("/councils", json=registration()).status_code == 201
        assert (
            client.post("/councils/382/facts", json=inspection(dt.date(2016, 11, 25), "inadequate")).status_code == 201
        )
        assert client.post("/councils", json=registration("383", "Leeds")).status_code == 201
    yield process
    process.close()


@pytest.mark.slow
def test_schemathesis_with_every_check_finds_no_failure(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(HERE / "schemathesis.toml"), "run",
        f"{server.url}/openapi.json", "--checks", "all", "--header", f"Authorization: Bearer {ADMIN}",
        "--max-examples", str(EXAMPLES), "--exclude-path", "/events/stream", "--generation-deterministic",
        "--workers", "1", "--no-color",
    ]  # fmt: skip
    result = subprocess.run(  # in tmp_path: schemathesis keeps a cache where it runs
        command, capture_output=True, text=True, timeout=20 * TIMEOUT, check=False, cwd=tmp_path
    )
    summary = [line for line in result.stdout.splitlines() if "generated" in line or "passed" in line]
    with capsys.disabled():
        print("\nschemathesis --checks all: " + "; ".join(line.strip() for line in summary[-2:]))
    assert result.returncode == 0, result.stdout[-6000:]


# ------------------------------------------------------------------------------------------------------------------
# What schemathesis found on the spec before (one test each, on the app in this process).


@pytest.fixture
def client() -> Iterator[TestClient]:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2018, 1, 1)))
    registry = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    with TestClient(create_app(engine, tokens=registry)) as served:
        assert served.post("/councils", json=registration(), headers=auth(RECORDER)).status_code == 201
        yield served
    engine.close()


def test_a_405_allows_every_method_of_its_path(client: TestClient) -> None:
    response = client.options("/councils", headers=auth(ADMIN))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_a_body_that_is_not_json_is_a_documented_400(client: TestClient) -> None:
    response = client.post(
        "/councils/382/facts",
        content=b"Ty[J\xd9\x88H\x18v\xeaA\xf0\x9fu%",
        headers={**auth(RECORDER), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    spec = client.get("/openapi.json").json()
    assert "400" in spec["paths"]["/councils/{council}/facts"]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/councils/382/what-if", {"at": "2017-01-01", "until": "2018-01-01", "seed": False}, "body.seed"),
        ("/councils/382/facts", {**VISIT, "type": "monitoring_visit_published", "visit_number": True},
         "body.visit_number"),
        ("/councils/382/facts", {**VISIT, "type": "focused_visit_published", "priority_actions": 1},
         "body.priority_actions"),
    ],
)  # fmt: skip
def test_a_boolean_is_not_a_number_nor_a_number_a_boolean(
    client: TestClient, path: str, body: dict[str, object], field: str
) -> None:
    response = client.post(path, json=body, headers=auth(RECORDER))
    assert response.status_code == 422
    assert [p["where"] for p in response.json()["problems"]] == [field]
