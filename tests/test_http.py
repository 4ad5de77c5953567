"""The HTTP API through FastAPI's TestClient: access control, refusals with bodies that say what was wrong, the
audit trail, idempotent retries, reads, and the OpenAPI spec. (Real servers: test_http_service.py.)"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from intervention_engine import InterventionEngine, Settings, SystemClock, VirtualClock, build_engine
from intervention_engine.reports import report_page
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.service.compose import calibrated_world

from factories import inspection, registration
from http_service import ADMIN, READER, RECORDER, TOKENS, auth

D = dt.date
NOTICE = {"type": "improvement_notice_issued", "occurred_on": "2017-01-10"}


def tokens() -> TokenRegistry:
    return TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[InterventionEngine, TestClient]]:
    engine = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    try:
        with TestClient(create_app(engine, tokens=tokens())) as client:
            yield engine, client
    finally:
        engine.close()


@pytest.fixture
def engine_and_client() -> Iterator[tuple[InterventionEngine, TestClient]]:
    """The HTTP layer does not depend on the store: most tests run on memory (every backend: see the last tests)."""
    with serving(Settings(backend="memory")) as served:
        yield served


@pytest.fixture
def client(engine_and_client: tuple[InterventionEngine, TestClient]) -> TestClient:
    return engine_and_client[1]


def post(client: TestClient, path: str, body: Any, token: str = RECORDER, **headers: str) -> Any:
    return client.post(path, json=body, headers={**auth(token), **headers})


def get(client: TestClient, path: str, token: str = READER, **params: Any) -> Any:
    return client.get(path, params=params, headers=auth(token))


def kirklees_inadequate(client: TestClient) -> None:
    assert post(client, "/councils", registration()).status_code == 201
    assert post(client, "/councils/382/facts", inspection(D(2016, 11, 25), "inadequate")).status_code == 201


def last_position(client: TestClient) -> int:
    return int(client.get("/ready").json()["last_position"])


# ------------------------------------------------------------------------------------------------------------------
# Access control.


def test_a_write_without_a_token_is_401_and_records_nothing(client: TestClient) -> None:
    kirklees_inadequate(client)
    before = last_position(client)
    response = client.post("/councils/382/facts", json=NOTICE)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    assert client.post("/councils", json=registration("383", "Leeds")).status_code == 401
    assert last_position(client) == before


@pytest.mark.parametrize("header", ["Bearer not-a-known-token-at-all", "Basic cmVjb3JkZXI6eA==", "Bearer", ""])
def test_an_unknown_or_malformed_token_is_401(client: TestClient, header: str) -> None:
    before = last_position(client)
    response = client.post("/councils", json=registration(), headers={"Authorization": header})
    assert response.status_code == 401
    assert last_position(client) == before


def test_a_reader_token_may_read_but_a_write_is_403_and_records_nothing(client: TestClient) -> None:
    kirklees_inadequate(client)
    before = last_position(client)
    response = post(client, "/councils/382/facts", NOTICE, READER)
    assert response.status_code == 403
    assert response.json()["message"] == "ann.reader has the reader role; this needs recorder or above"
    assert post(client, "/councils", registration("383", "Leeds"), READER).status_code == 403
    assert last_position(client) == before
    assert get(client, "/councils/382").json()["stage"] == "inadequate"


def test_reads_need_a_token_too_but_health_does_not(client: TestClient) -> None:
    assert client.get("/councils").status_code == 401
    assert client.get("/events").status_code == 401
    assert client.get("/health").json()["status"] == "ok"
    assert get(client, "/whoami", ADMIN).json() == {"actor": "cat.admin", "role": "admin"}


def test_health_tells_how_many_facts_and_transactions_the_process_recorded_and_what_they_cost(
    client: TestClient,
) -> None:
    kirklees_inadequate(client)  # a registration and an inspection: two requests, two transactions
    refused = post(client, "/councils/382/facts", {"type": "statutory_direction_revoked", "occurred_on": "2017-01-09"})
    health = client.get("/health").json()

    assert refused.status_code == 409
    assert (health["recorded_facts"], health["saves"]) == (3, 2)  # the refused fact was decided, never saved
    assert health["recorded_cpu_seconds"] > health["save_cpu_seconds"] > 0
    assert health["save_seconds"] > 0


def test_the_audit_trail_names_actor_and_trace_id_and_only_admins_read_it(client: TestClient) -> None:
    kirklees_inadequate(client)
    response = post(client, "/councils/382/facts", NOTICE, **{"X-Request-ID": "case-note-77"})
    assert response.headers["x-request-id"] == "case-note-77"
    assert get(client, "/councils/382/audit", RECORDER).status_code == 403
    trail = get(client, "/councils/382/audit", ADMIN).json()
    notice = [entry for entry in trail if entry["trace_id"] == "case-note-77"]
    assert notice[0]["request_id"] is None  # a trace id, not a retry key
    assert notice[0]["event"] == "FactRecorded"
    assert notice[0]["summary"] == "improvement notice issued"
    assert {entry["actor"] for entry in trail} == {"bob.recorder"}
    timeline = get(client, "/councils/382/timeline").json()
    assert timeline[len(trail) - len(notice)]["data"]["metadata"] == {
        "actor": "bob.recorder",
        "trace_id": "case-note-77",
    }


def test_the_actor_cannot_be_forged_in_the_fact(client: TestClient) -> None:
    kirklees_inadequate(client)
    response = post(client, "/councils/382/facts", {**NOTICE, "metadata": {"actor": "someone.else"}})
    assert response.status_code == 422
    assert "metadata" in response.json()["message"]


# ------------------------------------------------------------------------------------------------------------------
# Refusals say what was wrong.


def test_an_unknown_council_is_404_naming_it(client: TestClient) -> None:
    response = post(client, "/councils/Nowhere/facts", NOTICE)
    assert response.status_code == 404
    body = response.json()
    assert (body["error"], body["council"]) == ("council_not_found", "Nowhere")
    assert "'Nowhere' is not registered" in body["message"]
    assert get(client, "/councils/Nowhere").status_code == 404


def test_an_illegal_move_is_409_naming_council_fact_states_and_legal_moves(client: TestClient) -> None:
    kirklees_inadequate(client)
    before = last_position(client)
    response = post(client, "/councils/382/facts", {"type": "improvement_notice_lifted", "occurred_on": "2017-01-10"})
    assert response.status_code == 409
    body = response.json()
    assert (body["error"], body["council"], body["fact"]) == ("move_not_allowed", "382", "improvement_notice_lifted")
    assert body["states"]["instrument"] == "none"
    assert body["legal_moves"]["instrument"] == ["improvement_notice_issued", "statutory_direction_issued"]
    assert body["refused"] == {"instrument": "improvement_notice_lifted is not a move from none"}
    assert last_position(client) == before


def test_lenient_records_an_illegal_move_as_a_deviation(client: TestClient) -> None:
    kirklees_inadequate(client)
    fact = {"type": "improvement_notice_lifted", "occurred_on": "2017-01-10"}
    response = client.post("/councils/382/facts?lenient=true", json=fact, headers=auth(RECORDER))
    assert response.status_code == 201
    assert "improvement_notice_lifted is not a move from none" in response.json()["deviation"]["expected"]


@pytest.mark.parametrize(
    ("fact", "where", "words"),
    [
        ({"type": "action_plan_submitted", "occurred_on": "2017-02-30"}, "body.occurred_on", "day value"),
        ({"type": "action_plan_submited", "occurred_on": "2017-02-03"}, "body", "action_plan_submitted"),
        ({"type": "action_plan_submitted", "occurred_on": 20170203}, "body", "not a number"),
        ({"type": "action_plan_submitted"}, "body.occurred_on", "Field required"),
        ({"type": "progress_review_completed", "occurred_on": "2017-02-03"}, "body.outcome", "Field required"),
        ({"occurred_on": "2017-02-03"}, "body", "type"),
        ([1, 2, 3], "body", ""),
    ],
)
def test_a_malformed_fact_is_422_naming_the_field(client: TestClient, fact: Any, where: str, words: str) -> None:
    kirklees_inadequate(client)
    before = last_position(client)
    response = post(client, "/councils/382/facts", fact)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert any(p["where"] == where and words in p["problem"] for p in body["problems"]), body
    assert last_position(client) == before


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/councils", content=b"{not json", headers={**auth(RECORDER), "Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_out_of_order_and_second_registration_are_409(client: TestClient) -> None:
    kirklees_inadequate(client)
    response = post(client, "/councils/382/facts", {**NOTICE, "occurred_on": "2016-01-01"})
    assert (response.status_code, response.json()["error"]) == (409, "fact_out_of_order")
    response = post(client, "/councils", registration(name="Kirklees again"))
    assert (response.status_code, response.json()["error"]) == (409, "council_already_registered")


def test_a_fact_from_the_future_is_422_on_a_live_clock() -> None:
    engine = build_engine(Settings(backend="memory"), clock=SystemClock())
    try:
        with TestClient(create_app(engine, tokens=tokens())) as client:
            kirklees_inadequate(client)
            tomorrow = SystemClock().today() + dt.timedelta(days=1)
            response = post(client, "/councils/382/facts", {**NOTICE, "occurred_on": tomorrow.isoformat()})
            assert (response.status_code, response.json()["error"]) == (422, "fact_in_future")
    finally:
        engine.close()


def test_bad_query_parameters_are_422(client: TestClient) -> None:
    kirklees_inadequate(client)
    assert get(client, "/councils/382", as_of="2017-13-01").status_code == 422
    assert get(client, "/timers/due", until="soon").status_code == 422
    assert get(client, "/events", after=-1).status_code == 422
    response = client.get("/events/stream", headers={**auth(READER), "Last-Event-ID": "x"})
    assert response.status_code == 422


# ------------------------------------------------------------------------------------------------------------------
# Idempotent retries.


def test_a_retried_request_is_recorded_once(engine_and_client: tuple[InterventionEngine, TestClient]) -> None:
    engine, client = engine_and_client
    kirklees_inadequate(client)
    first = post(client, "/councils/382/facts", NOTICE, **{"Idempotency-Key": "notice-2017"})
    again = post(client, "/councils/382/facts", NOTICE, **{"Idempotency-Key": "notice-2017"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["position"] == first.json()["position"]
    facts = [e for e in engine.timeline("382") if e.event == "FactRecorded"]
    assert len(facts) == 2
    other = post(
        client, "/councils/382/facts", {**NOTICE, "occurred_on": "2017-01-11"}, **{"Idempotency-Key": "notice-2017"}
    )
    assert (other.status_code, other.json()["error"]) == (409, "request_id_reused")


# ------------------------------------------------------------------------------------------------------------------
# Reads.


def test_state_timeline_timers_expectations_deviations_and_counts(client: TestClient) -> None:
    kirklees_inadequate(client)
    assert post(client, "/councils/382/facts", {**NOTICE, "occurred_on": "2017-06-01"}).status_code == 201
    assert get(client, "/councils").json() == [{"code": "382", "name": "Kirklees"}]
    state = get(client, "/councils/kirklees").json()
    assert (state["council"], state["stage"]) == ("382", "improvement_notice")
    assert get(client, "/councils/382", as_of="2016-06-01").json()["stage"] == "not_inspected"
    timeline = get(client, "/councils/382/timeline").json()
    assert [entry["event"] for entry in timeline][:2] == ["Registered", "FactRecorded"]
    due = get(client, "/timers/due", until="2019-12-31").json()
    assert {"reinspection_due", "monitoring_visit_due"} <= {timer["kind"] for timer in due}
    expectations = get(client, "/councils/382/expectations", as_of="2016-12-01").json()
    assert any(e["rule_id"].startswith("DFE-03") for e in expectations)
    deviations = get(client, "/councils/382/deviations").json()
    assert deviations == get(client, "/deviations").json()
    assert deviations, "an improvement notice six months late misses DFE-03's deadline"
    counts = client.get("/national?on=2016-06-01&on=2017-06-30", headers=auth(READER)).json()
    assert [count["stages"] for count in counts] == [{"not_inspected": 1}, {"improvement_notice": 1}]


def test_the_event_page_resumes_after_its_last_position(client: TestClient) -> None:
    kirklees_inadequate(client)
    first = get(client, "/events", limit=3).json()
    rest = get(client, "/events", after=first["last_position"], limit=1000).json()
    positions = [e["position"] for e in first["events"] + rest["events"]]
    assert positions == list(range(1, last_position(client) + 1))
    assert get(client, "/events", after=rest["last_position"]).json() == {
        "events": [],
        "last_position": rest["last_position"],
    }


def test_the_event_stream_sends_each_event_with_its_position_as_id(client: TestClient) -> None:
    kirklees_inadequate(client)
    with client.stream("GET", "/events/stream?limit=2", headers={**auth(READER), "Last-Event-ID": "1"}) as stream:
        text = stream.read().decode()
    messages = [block for block in text.split("\n\n") if block.startswith("id:")]
    assert [m.splitlines()[0] for m in messages] == ["id: 2", "id: 3"]
    data = json.loads(messages[0].splitlines()[2].removeprefix("data: "))
    assert (data["position"], data["event"], data["council"]) == (2, "FactRecorded", "382")


def test_recording_and_reading_over_http_on_every_backend(backend: Settings) -> None:
    with serving(backend) as (engine, client):
        kirklees_inadequate(client)
        response = post(client, "/councils/382/facts", NOTICE, **{"Idempotency-Key": "n1"})
        assert response.status_code == 201
        assert post(client, "/councils/382/facts", NOTICE, **{"Idempotency-Key": "n1"}).status_code == 200
        assert get(client, "/councils/382").json()["stage"] == "improvement_notice"
        events = get(client, "/events", limit=1000).json()["events"]
        assert [e["position"] for e in events] == [n.id for n in engine.store.recorder.select_notifications(None, 999)]
        assert [e["request_id"] for e in events if e["event"] == "FactRecorded"][-1] == "n1"


def test_the_openapi_spec_is_published_with_the_facts_and_the_token_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/councils", "/councils/{council}/facts", "/councils/{council}/audit", "/events/stream"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from the service's settings: `Authorization: Bearer <token>`",
    }
    assert "InspectionPublished" in spec["components"]["schemas"]
    refused = spec["paths"]["/councils/{council}/facts"]["post"]["responses"]["409"]
    assert refused["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert client.get("/docs").status_code == 200


# ------------------------------------------------------------------------------------------------------------------
# What-if (simulation's branches, over HTTP): nothing is recorded.


def test_a_what_if_plays_a_branch_and_compares_it_with_the_record(client: TestClient) -> None:
    kirklees_inadequate(client)
    assert post(client, "/councils/382/facts", {**NOTICE, "occurred_on": "2017-01-10"}).status_code == 201
    before = last_position(client)
    body = {
        "at": "2016-12-31",
        "until": "2017-12-31",
        "name": "direction instead",
        "drop": [{"on": "2017-01-10", "type": "improvement_notice_issued"}],
        "add": [{"type": "statutory_direction_issued", "occurred_on": "2017-01-10", "commissioner_review": True}],
    }
    response = client.post("/councils/382/what-if", json=body, headers=auth(READER))
    assert response.status_code == 200, response.text
    comparison = response.json()["comparison"]
    baseline, branch = comparison["sides"]
    assert (baseline["label"], branch["label"]) == ("baseline", "direction instead")
    assert baseline["stages"][-1] == "improvement_notice"
    assert branch["stages"][-1] == "commissioner_review"
    assert comparison["differences"]
    assert last_position(client) == before


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"at": "2017-01-01", "until": "2016-01-01"}, 422, "on or after `at`"),
        ({"at": "2017-01-01", "until": "2090-01-01"}, 422, "within 30 years"),
        ({"at": "2017-01-01", "until": "2018-01-01", "policy": "dfe-1066"}, 422, "unknown DfE policy"),
        ({"at": "2017-01-01", "until": "2018-01-01", "drop": [{"on": "2017-05-05", "type": "x"}]}, 422, "has no x"),
        ({"at": "2010-01-01", "until": "2018-01-01"}, 404, "registered later"),
        ({"at": "2017-01-01", "until": "2018-01-01", "keep": "none", "world": True}, 422, "OFSTED_CSV"),
        ({"at": "2017-01-01", "until": "2018-01-01", "keep": "all", "world": True}, 422, "takes no world model"),
    ],
)
def test_a_what_if_that_cannot_be_played_says_why(client: TestClient, body: Any, status: int, words: str) -> None:
    kirklees_inadequate(client)
    response = client.post("/councils/382/what-if", json=body, headers=auth(READER))
    assert response.status_code == status, response.text
    assert words in response.json()["message"]


def test_a_what_if_on_a_server_with_the_ofsted_record_lets_the_world_model_play_the_rest(shared_data: Path) -> None:
    """Given the national Ofsted CSV, the server calibrates the world model: a branch that keeps only the facts it
    is given (`keep="none"`) gets the rest (inspections, DfE decisions) from it, reproducibly from its seed."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    world = calibrated_world(shared_data / "ofsted_inspections.csv")
    try:
        with TestClient(create_app(engine, tokens=tokens(), world=world)) as client:
            kirklees_inadequate(client)
            body = {"at": "2016-12-31", "until": "2026-12-31", "keep": "none", "seed": 7}
            first, again = (client.post("/councils/382/what-if", json=body, headers=auth(READER)) for _ in "12")
            alone = client.post("/councils/382/what-if", json={**body, "world": False}, headers=auth(READER))
    finally:
        engine.close()
    assert first.status_code == 200, first.text
    assert first.json() == again.json()
    played = first.json()["branch"]  # the branch as made, and every fact it played
    assert played["branch"]["world"] is not None
    assert alone.json()["branch"]["branch"]["world"] is None
    simulated = [fact for fact in played["facts"] if fact.get("simulated")]
    assert any(fact["type"] == "inspection_published" for fact in simulated), played["facts"]
    assert not [fact for fact in alone.json()["branch"]["facts"] if fact.get("simulated")]


def test_the_html_report_is_served_live(client: TestClient) -> None:
    kirklees_inadequate(client)
    assert post(client, "/councils/382/facts", NOTICE).status_code == 201
    response = get(client, "/report", council="382")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Kirklees" in response.text
    assert "<svg" in response.text  # the charts are inlined: the page needs nothing else
    assert get(client, "/report", council="Nowhere").status_code == 404
    assert client.get("/report").status_code == 401


def test_the_report_is_drawn_again_only_when_something_new_was_recorded(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from intervention_engine.service import report

    kirklees_inadequate(client)
    assert post(client, "/councils/382/facts", NOTICE).status_code == 201
    drawn: list[int] = []
    monkeypatch.setattr(report, "report_page", lambda data: drawn.append(1) or report_page(data))
    first, again = (get(client, "/report", council="382").text for _ in "12")
    assert (len(drawn), again) == (1, first)  # nothing recorded in between: the page kept
    visit = {"type": "monitoring_visit_published", "occurred_on": "2017-02-20"}
    assert post(client, "/councils/382/facts", visit).status_code == 201
    after = get(client, "/report", council="382").text
    assert len(drawn) == 2
    assert after != first
    assert get(client, "/report").status_code == 200  # another choice of councils: a page of its own
    assert len(drawn) == 3


def test_a_server_given_an_ofsted_csv_it_cannot_read_refuses_to_start_naming_it(tmp_path: Path) -> None:
    from intervention_engine.errors import ConfigurationError
    from intervention_engine.service.compose import build_app

    missing = tmp_path / "ofsted.csv"
    with pytest.raises(ConfigurationError, match=r"cannot calibrate the what-if world model on .*ofsted\.csv"):
        build_app(Settings(backend="memory", ofsted_csv=missing), scheduler=False)


def test_a_server_given_the_council_table_puts_each_councils_neighbours_in_the_live_report(shared_data: Path) -> None:
    # Without the table the page has no neighbours panel; with it, Kirklees's grid lists Sheffield (373), the
    # nearest of its ten neighbours in councils.csv.
    pages = []
    for table in (shared_data / "councils.csv", None):
        engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2017, 1, 1)))
        with TestClient(create_app(engine, tokens=tokens(), councils=_table(table))) as served:
            kirklees_inadequate(served)
            assert post(served, "/councils/382/facts", NOTICE).status_code == 201
            page = get(served, "/report", council="382")
            assert page.status_code == 200
            pages.append(page.text)
    with_table, without = pages
    assert "Statistical neighbours (10)" in with_table
    assert "Sheffield (373)" in with_table
    assert "Statistical neighbours" not in without


def _table(path: Path | None) -> Any:
    from intervention_engine.history.neighbours import read_council_table

    return read_council_table(path) if path is not None else None


def test_a_server_given_a_council_table_it_cannot_read_refuses_to_start_naming_it(tmp_path: Path) -> None:
    from intervention_engine.errors import ConfigurationError
    from intervention_engine.service.compose import build_app

    missing = tmp_path / "councils.csv"
    with pytest.raises(ConfigurationError, match=r"cannot read the council identity table: .*councils\.csv"):
        build_app(Settings(backend="memory", councils_csv=missing), scheduler=False)
