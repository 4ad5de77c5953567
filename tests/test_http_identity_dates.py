"""Council identity and the range of dates (issue 14, defects 2 and 5): codes match the code pattern (the DfE
3-digit code by default), names are normalised and refused with control or bidi characters, a name never resolves
to another council's code; every date the engine accepts lies in one documented range (1990-01-01 to 2199-12-31),
and a number is never a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.cli import app as cli
from intervention_engine.errors import InvalidFact
from intervention_engine.service import TokenRegistry, create_app

from factories import registration
from http_service import READER, RECORDER, TOKENS, auth

D = dt.date


def serve(settings: Settings) -> Iterator[tuple[InterventionEngine, TestClient]]:
    engine = build_engine(settings, clock=VirtualClock(D(2018, 1, 1)))
    registry = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    with TestClient(create_app(engine, tokens=registry)) as client:
        yield engine, client
    engine.close()


@pytest.fixture
def served() -> Iterator[tuple[InterventionEngine, TestClient]]:
    yield from serve(Settings(backend="memory"))


@pytest.fixture
def client(served: tuple[InterventionEngine, TestClient]) -> TestClient:
    return served[1]


def register(client: TestClient, code: str, name: str) -> Any:
    return client.post("/councils", json=registration(code, name), headers=auth(RECORDER))


# ------------------------------------------------------------------------------------------------------------------
# Identity.


@pytest.mark.parametrize("code", ["S1", "38", "3820", "../382", "38/2", "x" * 20])
def test_a_code_that_is_not_a_dfe_code_is_refused(client: TestClient, code: str) -> None:
    response = register(client, code, "Somewhere")
    assert response.status_code == 422
    assert response.json()["message"] == (
        f"council_registered: code {code!r} is not a council code (it must match [0-9]{{3}})"
    )
    assert client.get("/councils", headers=auth(READER)).json() == []


@pytest.mark.parametrize(
    ("name", "hidden"), [("Kirk\u202elees", "U+202E"), ("Kirk\x00lees", "U+0000"), ("Kirk\u200flees", "U+200F")]
)
def test_a_name_with_control_or_bidi_characters_is_refused(client: TestClient, name: str, hidden: str) -> None:
    response = register(client, "382", name)
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {"where": "body.name", "problem": f"contains control or invisible characters ({hidden})"}
    ]


def test_a_name_is_kept_normalised(client: TestClient) -> None:
    assert register(client, "382", "  Kirklees\t  Council ").status_code == 201
    assert client.get("/councils", headers=auth(READER)).json() == [{"code": "382", "name": "Kirklees Council"}]
    assert client.get("/councils/kirklees council", headers=auth(READER)).json()["council"] == "382"


def test_a_name_that_looks_like_a_code_is_refused(client: TestClient) -> None:
    response = register(client, "382", "999")
    assert response.status_code == 422
    assert response.json()["message"] == "council_registered: name '999' looks like a council code; give the name"


def test_a_name_never_resolves_to_another_councils_code(served: tuple[InterventionEngine, TestClient]) -> None:
    """Registering code S1 named 999, then code 999, answered 409 and recorded 999's facts on S1. With the default
    pattern neither S1 nor a name like 999 is accepted; an engine that takes any code still refuses a code that is
    another council's name."""
    engine, client = served
    engine.code_pattern = None  # any code, as a Python caller's own engine may take
    assert register(client, "S1", "999").status_code == 201
    response = register(client, "999", "Nine")
    assert response.status_code == 422
    assert response.json()["message"] == "council_registered: code '999' is another council's name"
    assert [code for code, _ in engine.councils()] == ["S1"]


def test_a_second_council_may_not_take_a_name_already_taken(client: TestClient) -> None:
    assert register(client, "382", "Kirklees").status_code == 201
    response = register(client, "383", "KIRKLEES")
    assert response.status_code == 422
    assert response.json()["message"] == "council_registered: name 'KIRKLEES' is already taken by council '382'"
    assert register(client, "382", "Leeds").status_code == 409  # the same code: already registered


def test_the_engine_checks_the_code_pattern_for_python_callers_too() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    with pytest.raises(InvalidFact, match=r"code 'E08000034' is not a council code"):
        engine.record(None, registration("E08000034", "Kirklees"))
    assert engine.councils() == []


# ------------------------------------------------------------------------------------------------------------------
# Dates.


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        ("0001-01-01", "0001-01-01 is before 1990-01-01, the earliest date the engine accepts"),
        ("1989-12-31", "1989-12-31 is before 1990-01-01, the earliest date the engine accepts"),
        (
            "9999-12-30",
            "9999-12-30 is after 2199-12-31, the latest date the engine accepts (an engine on a virtual clock would "
            "fire every timer in between)",
        ),
    ],
)
def test_a_fact_dated_outside_the_range_is_422_not_500(client: TestClient, day: str, problem: str) -> None:
    assert register(client, "382", "Kirklees").status_code == 201
    fact = {"type": "action_plan_submitted", "occurred_on": day}
    response = client.post("/councils/382/facts", json=fact, headers=auth(RECORDER))
    assert response.status_code == 422
    assert response.json()["problems"] == [{"where": "body.occurred_on", "problem": problem}]


def test_the_first_day_of_the_range_is_accepted(client: TestClient) -> None:
    assert client.post("/councils", json=registration(on="1990-01-01"), headers=auth(RECORDER)).status_code == 201


@pytest.mark.parametrize("at", ["9999-12-30", "0001-01-01"])
def test_a_what_if_outside_the_range_is_422_not_500(client: TestClient, at: str) -> None:
    register(client, "382", "Kirklees")
    body = {"at": at, "until": "9999-12-31"}
    response = client.post("/councils/382/what-if", json=body, headers=auth(READER))
    assert response.status_code == 422
    assert [p["where"] for p in response.json()["problems"]] == ["body.at", "body.until"]


def test_a_what_if_at_the_end_of_the_range_plays_to_it(client: TestClient) -> None:
    register(client, "382", "Kirklees")
    body = {"at": "2199-12-30", "until": "2199-12-31"}
    assert client.post("/councils/382/what-if", json=body, headers=auth(READER)).status_code == 200


@pytest.mark.parametrize(
    ("path", "param"),
    [("/timers/due", "until"), ("/councils/382", "as_of"), ("/deviations", "as_of"), ("/national", "on")],
)
@pytest.mark.parametrize("value", ["0", "1500000000", "-1"])
def test_a_number_is_not_a_date(client: TestClient, path: str, param: str, value: str) -> None:
    """`until=0` and `as_of=0` were read as 1970-01-01."""
    register(client, "382", "Kirklees")
    response = client.get(path, params={param: value}, headers=auth(READER))
    assert response.status_code == 422
    assert response.json()["problems"] == [
        {
            "where": f"query.{param}{'.0' if param == 'on' else ''}",
            "problem": f"{value!r} must be a date (YYYY-MM-DD), not a number",
        }
    ]


def test_a_query_date_outside_the_range_is_422(client: TestClient) -> None:
    response = client.get("/timers/due", params={"until": "0001-01-01"}, headers=auth(READER))
    assert response.status_code == 422


def test_the_openapi_spec_states_the_range(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    until = spec["paths"]["/timers/due"]["get"]["parameters"][0]["schema"]["anyOf"][0]
    assert until["pattern"] == r"^(199[0-9]|20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def test_the_command_line_refuses_a_date_outside_the_range_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    runner = CliRunner()
    recorded = runner.invoke(cli, ["record", "382", "--db", str(db), '{"type": "council_registered", '
                                   '"occurred_on": "2014-01-01", "code": "382", "name": "Kirklees"}'])  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    result = runner.invoke(cli, ["status", "382", "--db", str(db), "--as-of", "0001-01-01"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: --as-of: 0001-01-01 is before 1990-01-01, the earliest date the engine accepts"
    ]
