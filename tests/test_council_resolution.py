"""Names people type (issue 13 item 4): a council is found by its DfE code, ONS code, Ofsted URN, name or
`also_known_as` name, whatever the case and punctuation, in Python, over HTTP and on the command line; a text that
names none is refused with the nearest councils as a did-you-mean, and the hint to register a council only when
no council is registered at all. Expectations are written from `../shared/data/councils.csv` by hand."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from intervention_engine import CouncilNotFound, InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.history.council_names import read_councils
from intervention_engine.history.ofsted_csv import council_registration
from intervention_engine.service import TokenRegistry, create_app

from http_service import READER, TOKENS, auth
from shared_data import DATA


def _national(settings: Settings) -> InterventionEngine:
    """An engine with every council of the identity table registered, as the national replay registers them."""
    engine = build_engine(settings, clock=VirtualClock(dt.date(2016, 1, 1)))
    for row in read_councils(DATA / "councils.csv").values():
        engine.record(None, council_registration(row))
    return engine


@pytest.fixture(scope="module")
def national() -> Iterator[InterventionEngine]:
    engine = _national(Settings(backend="memory"))
    yield engine
    engine.close()


@pytest.mark.parametrize(
    ("typed", "code", "name"),
    [
        ("382", "382", "Kirklees"),
        ("E08000034", "382", "Kirklees"),  # the ONS code (la_code_new)
        ("e08000034", "382", "Kirklees"),
        ("80478", "382", "Kirklees"),  # the Ofsted URN
        ("kirklees", "382", "Kirklees"),
        ("Kirklees Council", "382", "Kirklees"),
        ("Bristol", "801", "Bristol, City of"),  # the name's ", City of" dropped, and also_known_as
        ("bristol, city of", "801", "Bristol, City of"),
        ("St Helens", "342", "St. Helens"),  # punctuation aside
        ("st. helens", "342", "St. Helens"),
        ("Kingston upon Hull", "810", "Kingston Upon Hull, City of"),
        ("Hull", "810", "Kingston Upon Hull, City of"),  # also_known_as only
        ("BCP", "839", "Bournemouth, Christchurch and Poole"),  # also_known_as only
        ("Bournemouth, Christchurch & Poole", "839", "Bournemouth, Christchurch and Poole"),
        ("barking-and-dagenham", "301", "Barking and Dagenham"),
    ],
)
def test_a_council_is_found_by_what_people_type(national: InterventionEngine, typed: str, code: str, name: str) -> None:
    status = national.state(typed)
    assert (status.council, status.name) == (code, name)


def test_a_near_miss_is_refused_with_the_nearest_council_as_a_did_you_mean(national: InterventionEngine) -> None:
    with pytest.raises(CouncilNotFound) as refused:
        national.state("Kirklee")
    assert str(refused.value) == "council 'Kirklee' is not registered: did you mean Kirklees (382)?"
    assert refused.value.suggestions == ["Kirklees (382)"]


def test_a_text_near_no_council_says_so_without_a_wrong_did_you_mean(national: InterventionEngine) -> None:
    # councils.csv has 156 rows (the Ofsted CSV names 153 of them)
    with pytest.raises(CouncilNotFound) as refused:
        national.state("Atlantis")
    assert refused.value.suggestions == []
    assert str(refused.value) == (
        "council 'Atlantis' is not registered: it is no code, ONS code or name of any of the 156 councils registered; "
        "a council not registered yet needs a council_registered fact first"
    )


def test_the_hint_to_register_comes_when_no_council_is_registered() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2016, 1, 1)))
    with pytest.raises(CouncilNotFound) as refused:
        engine.state("Kirklees")
    assert str(refused.value) == (
        "council 'Kirklees' is not registered: no councils are registered yet: record a council_registered fact first"
    )


def test_a_name_two_councils_share_as_people_type_it_is_refused_not_guessed() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2016, 1, 1)))
    engine.record(None, {"type": "council_registered", "occurred_on": "2016-01-01", "code": "901", "name": "Avon"})
    with pytest.raises(Exception, match="'Avon Council' is already taken by council '901'"):
        engine.record(
            None, {"type": "council_registered", "occurred_on": "2016-01-01", "code": "902", "name": "Avon Council"}
        )
    assert engine.state("avon council").council == "901"


def test_http_answers_by_ons_code_and_suggests_on_a_near_miss(national: InterventionEngine) -> None:
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    with TestClient(create_app(national, tokens=tokens)) as client:
        found = client.get("/councils/E08000034", headers=auth(READER))
        missed = client.get("/councils/Kirklee", headers=auth(READER))
    assert (found.status_code, found.json()["council"]) == (200, "382")
    assert missed.status_code == 404
    assert missed.json()["did_you_mean"] == ["Kirklees (382)"]
    assert missed.json()["message"] == "council 'Kirklee' is not registered: did you mean Kirklees (382)?"


@pytest.fixture(scope="module")
def national_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("names") / "national.sqlite"
    _national(Settings(db=db)).close()
    return db


def test_the_cli_finds_a_council_by_ons_code(national_db: Path) -> None:
    result = CliRunner().invoke(app, ["status", "E08000034", "--json", "--db", str(national_db)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["council"] == "382"


def test_the_cli_suggests_on_a_near_miss_in_one_line_and_exits_3(national_db: Path) -> None:
    result = CliRunner().invoke(app, ["status", "Kirklee", "--db", str(national_db)])
    assert result.exit_code == 3
    assert result.stderr == "Error: council 'Kirklee' is not registered: did you mean Kirklees (382)?\n"
    assert result.stdout == ""


def test_the_cli_json_error_carries_the_did_you_mean(national_db: Path) -> None:
    result = CliRunner().invoke(app, ["status", "Kirklee", "--json", "--db", str(national_db)])
    assert result.exit_code == 3
    assert json.loads(result.stderr) == {
        "error": "CouncilNotFound",
        "message": "council 'Kirklee' is not registered: did you mean Kirklees (382)?",
        "exit_code": 3,
        "did_you_mean": ["Kirklees (382)"],
    }
