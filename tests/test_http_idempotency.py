"""Retry keys and tokens (issue 14, defects 7 and 8): an Idempotency-Key is the caller's own (scoped per token's
actor), X-Request-ID is a trace id only, a 409 never tells one caller another's fact; tokens below the minimum
length are refused without being printed, blank tokens are refused, a tokens file others can read is warned of."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.errors import ConfigurationError
from intervention_engine.service import TokenRegistry, create_app

from factories import inspection, registration
from http_service import ADMIN, RECORDER, TOKENS, auth

D = dt.date
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}
SECOND_RECORDER = "second-recorder-token-0123"


@pytest.fixture
def served() -> Iterator[tuple[InterventionEngine, TestClient]]:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    tokens = [*TOKENS, {"token": SECOND_RECORDER, "actor": "dan.recorder", "role": "recorder"}]
    registry = TokenRegistry(Settings(backend="memory", tokens=tokens).api_tokens())  # type: ignore[arg-type]
    with TestClient(create_app(engine, tokens=registry)) as client:
        assert client.post("/councils", json=registration(), headers=auth(RECORDER)).status_code == 201
        assert client.post("/councils", json=registration("383", "Leeds"), headers=auth(RECORDER)).status_code == 201
        for code in ("382", "383"):
            inadequate = inspection(D(2016, 11, 25), "inadequate")
            assert client.post(f"/councils/{code}/facts", json=inadequate, headers=auth(RECORDER)).status_code == 201
        yield engine, client
    engine.close()


def post(client: TestClient, path: str, body: Any, token: str, **headers: str) -> Any:
    return client.post(path, json=body, headers={**auth(token), **headers})


def test_another_callers_key_records_the_fact_and_answers_with_it_not_theirs(
    served: tuple[InterventionEngine, TestClient],
) -> None:
    """A retry by one caller with another caller's key got the other's answer."""
    _, client = served
    first = post(client, "/councils/382/facts", NOTICE, RECORDER, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    mine = post(client, "/councils/383/facts", NOTICE, SECOND_RECORDER, **{"Idempotency-Key": "k-1"})
    assert mine.status_code == 201
    assert (mine.json()["council"], mine.json()["duplicate"]) == ("383", False)
    assert client.get("/councils/383", headers=auth(RECORDER)).json()["stage"] == "improvement_notice"
    again = post(client, "/councils/383/facts", NOTICE, SECOND_RECORDER, **{"Idempotency-Key": "k-1"})
    assert (again.status_code, again.json()["council"], again.json()["duplicate"]) == (200, "383", True)


def test_a_different_fact_under_someone_elses_key_is_no_conflict_and_reveals_nothing(
    served: tuple[InterventionEngine, TestClient],
) -> None:
    """A different body under someone else's key got a 409 naming their council, fact and date."""
    _, client = served
    assert post(client, "/councils/382/facts", NOTICE, RECORDER, **{"Idempotency-Key": "k-2"}).status_code == 201
    other = {"type": "improvement_notice_issued", "occurred_on": "2017-02-01"}
    response = post(client, "/councils/383/facts", other, SECOND_RECORDER, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 201
    assert "382" not in response.text


def test_a_callers_own_key_reused_for_another_fact_is_409_naming_only_their_fact(
    served: tuple[InterventionEngine, TestClient],
) -> None:
    _, client = served
    assert post(client, "/councils/382/facts", NOTICE, RECORDER, **{"Idempotency-Key": "k-3"}).status_code == 201
    response = post(client, "/councils/383/facts", NOTICE, RECORDER, **{"Idempotency-Key": "k-3"})
    assert response.status_code == 409
    assert response.json()["error"] == "request_id_reused"
    assert response.json()["message"] == (
        "request id 'k-3' already recorded improvement_notice_issued on 2017-01-10 for council '382'; a retried "
        "request must send the same fact, and a new fact needs a new request id"
    )


def test_x_request_id_is_a_trace_id_and_never_a_retry_key(served: tuple[InterventionEngine, TestClient]) -> None:
    """X-Request-ID acted as an idempotency key: a second, different fact with the same trace id was refused or
    swallowed."""
    _, client = served
    first = post(client, "/councils/382/facts", NOTICE, RECORDER, **{"X-Request-ID": "trace-9"})
    assert (first.status_code, first.json()["request_id"]) == (201, None)
    note = {"type": "note_recorded", "occurred_on": "2017-01-11", "kind": "inquiry"}
    second = post(client, "/councils/382/facts", note, RECORDER, **{"X-Request-ID": "trace-9"})
    assert second.status_code == 201
    assert second.headers["x-request-id"] == "trace-9"
    trail = client.get("/councils/382/audit", headers=auth(ADMIN)).json()
    assert [(e["summary"], e["trace_id"]) for e in trail if e["event"] in ("FactRecorded", "NoteRecorded")][-2:] == [
        ("improvement notice issued", "trace-9"),
        ("note (inquiry)", "trace-9"),
    ]


# ------------------------------------------------------------------------------------------------------------------
# Tokens.


def write_tokens(tmp_path: Path, secret: str) -> Path:
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps([{"token": secret, "actor": "ann", "role": "reader"}]))
    tokens_file.chmod(0o600)
    return tokens_file


def test_a_token_below_the_minimum_length_is_refused_without_printing_it(tmp_path: Path) -> None:
    short = "short-secret-15"
    with pytest.raises(ConfigurationError) as refused:
        Settings(backend="memory", tokens_file=write_tokens(tmp_path, short)).api_tokens()
    assert short not in str(refused.value)
    assert str(refused.value).endswith("0.token: Value should have at least 16 items after validation, not 15")
    with pytest.raises(ValidationError) as given:
        Settings(backend="memory", tokens=[{"token": short, "actor": "ann", "role": "reader"}])  # type: ignore[list-item]
    assert short not in str(given.value)


def test_a_token_of_spaces_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"a token may not be blank \(spaces only\)"):
        Settings(backend="memory", tokens_file=write_tokens(tmp_path, " " * 20)).api_tokens()


def test_a_tokens_file_others_can_read_is_warned_of(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps(TOKENS))
    tokens_file.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert len(Settings(backend="memory", tokens_file=tokens_file).api_tokens()) == 3
    assert [r.getMessage() for r in caplog.records] == [
        f"the API tokens file {tokens_file} can be read by other users (mode 644); chmod 600 it"
    ]
    caplog.clear()
    tokens_file.chmod(0o600)
    with caplog.at_level(logging.WARNING):
        Settings(backend="memory", tokens_file=tokens_file).api_tokens()
    assert caplog.records == []
