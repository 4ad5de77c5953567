"""Bitemporal questions (issue 13): where a council stood on a day, as the record stood at a later time or version.

Kirklees's requires-improvement report (June 2018) is recorded first; its inadequate report of January 2019 is
recorded late, after it. Asked about 1 March 2019, the record known before the late fact says requires
improvement, the record known now says inadequate.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from intervention_engine.bootstrap import build_engine
from intervention_engine.cli import app
from intervention_engine.clock import VirtualClock
from intervention_engine.engine import InterventionEngine
from intervention_engine.errors import CouncilNotFound
from intervention_engine.projections.bitemporal import InvalidQuery, recorded_by
from intervention_engine.service import TokenRegistry, create_app
from intervention_engine.settings import Settings

from factories import inspection, registration
from http_service import READER, TOKENS, auth

D = dt.date
MARCH_2019 = D(2019, 3, 1)


class LateFact:
    """The store, and the time and version at which only the first report was known."""

    def __init__(self, engine: InterventionEngine) -> None:
        self.engine = engine
        engine.record(None, registration(on="2014-01-01"))
        engine.record("382", inspection(D(2018, 6, 1), "requires_improvement"))
        before = engine.audit("382")
        self.known_before = dt.datetime.fromisoformat(before[-1].recorded_at)
        self.version_before = before[-1].version
        engine.record("382", inspection(D(2019, 1, 15), "inadequate"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "late.sqlite"


@pytest.fixture
def late(db: Path) -> Iterator[LateFact]:
    engine = build_engine(Settings(backend="sqlite", db=db), clock=VirtualClock(D(2014, 1, 1)))
    yield LateFact(engine)
    engine.close()


def test_the_late_fact_changes_the_answer_known_now_but_not_the_one_known_before(late: LateFact) -> None:
    then = late.engine.state("382", as_of=MARCH_2019, known_on=late.known_before)
    now = late.engine.state("382", as_of=MARCH_2019)
    assert (then.stage, then.states["judgement"]) == ("requires_improvement", "requires_improvement")
    assert then.latest_inspection is not None
    assert then.latest_inspection["published_on"] == "2018-06-01"
    assert then.as_of == MARCH_2019
    assert (now.stage, now.states["judgement"]) == ("inadequate", "inadequate")
    assert now.latest_inspection is not None
    assert now.latest_inspection["published_on"] == "2019-01-15"


def test_known_on_a_day_means_by_the_end_of_that_day_in_utc(late: LateFact) -> None:
    day = late.known_before.astimezone(dt.UTC).date()  # the day everything was recorded (or the one before)
    latest = late.engine.state("382", as_of=MARCH_2019, known_on=day + dt.timedelta(days=1))
    assert latest.states["judgement"] == "inadequate"
    with pytest.raises(
        CouncilNotFound, match=r"'382' is not registered on 2019-03-01, known on .*: it was recorded later"
    ):
        late.engine.state("382", as_of=MARCH_2019, known_on=day - dt.timedelta(days=1))


def test_known_on_the_as_of_day_itself_is_asked_and_answered(late: LateFact) -> None:
    # Nothing was recorded by the end of 1 March 2019 (the facts were recorded this year): the council was unknown.
    with pytest.raises(
        CouncilNotFound, match=r"'382' is not registered on 2019-03-01, known on 2019-03-01: it was recorded later$"
    ):
        late.engine.state("382", as_of=MARCH_2019, known_on=MARCH_2019)


def test_known_on_before_as_of_is_refused_in_one_line(late: LateFact) -> None:
    with pytest.raises(InvalidQuery) as refused:
        late.engine.state("382", as_of=MARCH_2019, known_on=D(2019, 2, 28))
    assert str(refused.value) == (
        "known_on 2019-02-28 is before as_of 2019-03-01: nothing recorded by then can say where a council stood "
        "on a later day; give a known_on on or after as_of"
    )


def test_as_of_version_replays_the_stream_up_to_that_version(late: LateFact) -> None:
    # 1 registered; 2 the 2018 report; 3-4 its timers; 5 its action plan timer fell due; 6 the late 2019 report.
    assert late.version_before == 4
    assert late.engine.state("382", as_of_version=5).states["judgement"] == "requires_improvement"
    assert late.engine.state("382", as_of_version=6).states["judgement"] == "inadequate"
    registered = late.engine.state("382", as_of_version=1)
    assert (registered.stage, registered.latest_inspection) == ("not_inspected", None)


def test_as_of_version_outside_the_stream_is_refused(late: LateFact) -> None:
    with pytest.raises(InvalidQuery, match="council '382' has 14 versions; as_of_version 15 names none of them"):
        late.engine.state("382", as_of_version=15)
    with pytest.raises(InvalidQuery, match="as_of_version 0 names no event"):
        late.engine.state("382", as_of_version=0)
    assert late.engine.state("382", as_of_version=14).states["judgement"] == "inadequate"


def test_timeline_known_on_leaves_out_what_was_recorded_later(late: LateFact) -> None:
    then = late.engine.timeline("382", known_on=late.known_before)
    assert len(then) == 4
    assert [entry.occurred_on for entry in then if entry.event == "FactRecorded"] == ["2018-06-01"]
    assert len(late.engine.timeline("382", as_of_version=2)) == 2


def test_recorded_by_reads_a_day_as_its_end_and_a_naive_instant_as_utc() -> None:
    assert recorded_by(D(2024, 4, 1)) == dt.datetime(2024, 4, 1, 23, 59, 59, 999999, tzinfo=dt.UTC)
    assert recorded_by(dt.datetime(2024, 4, 1, 12, 30)) == dt.datetime(2024, 4, 1, 12, 30, tzinfo=dt.UTC)
    paris = dt.timezone(dt.timedelta(hours=2))
    assert recorded_by(dt.datetime(2024, 4, 1, 1, 0, tzinfo=paris)).astimezone(dt.UTC).day == 31


# ----------------------------------------------------------------------------------------------------------------
# The command line and HTTP.


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    return result.exit_code, result.stdout, result.stderr


def test_status_known_on_and_stream_version_on_the_command_line(late: LateFact, db: Path) -> None:
    known = late.known_before.isoformat()
    code, out, _ = cli(db, "status", "382", "--as-of", "2019-03-01", "--known-on", known, "--json")
    assert code == 0
    assert json.loads(out)["states"]["judgement"] == "requires_improvement"
    code, out, _ = cli(db, "status", "382", "--stream-version", "5", "--json")
    assert (code, json.loads(out)["states"]["judgement"]) == (0, "requires_improvement")
    code, out, _ = cli(db, "status", "382", "--at-version", "6", "--json")
    assert (code, json.loads(out)["states"]["judgement"]) == (0, "inadequate")
    code, out, _ = cli(db, "timeline", "382", "--known-on", known, "--json")
    assert (code, len(json.loads(out))) == (0, 4)


def test_known_on_before_as_of_on_the_command_line_is_one_line_and_exit_2(late: LateFact, db: Path) -> None:
    code, out, err = cli(db, "status", "382", "--as-of", "2019-03-01", "--known-on", "2019-02-28")
    assert (code, out) == (2, "")
    assert err.startswith("Error: known_on 2019-02-28 is before as_of 2019-03-01")
    assert err.count("\n") == 1


def test_a_known_on_that_is_not_a_time_is_refused(late: LateFact, db: Path) -> None:
    code, _, err = cli(db, "status", "382", "--known-on", "last tuesday")
    assert code == 2
    assert "--known-on 'last tuesday' is not a date (YYYY-MM-DD) or an instant (YYYY-MM-DDTHH:MM:SS" in err


def test_state_over_http_takes_known_on_and_as_of_version(late: LateFact) -> None:
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    client = TestClient(create_app(late.engine, tokens=tokens))
    known = late.known_before.isoformat()
    then = client.get("/councils/382", params={"as_of": "2019-03-01", "known_on": known}, headers=auth(READER))
    now = client.get("/councils/382", params={"as_of": "2019-03-01"}, headers=auth(READER))
    versioned = client.get("/councils/382", params={"as_of_version": late.version_before}, headers=auth(READER))
    refused = client.get(
        "/councils/382", params={"as_of": "2019-03-01", "known_on": "2019-02-28"}, headers=auth(READER)
    )
    assert (then.status_code, then.json()["states"]["judgement"]) == (200, "requires_improvement")
    assert (now.status_code, now.json()["states"]["judgement"]) == (200, "inadequate")
    assert (versioned.status_code, versioned.json()["states"]["judgement"]) == (200, "requires_improvement")
    assert refused.status_code == 422
    assert refused.json()["message"].startswith("known_on 2019-02-28 is before as_of 2019-03-01")
    timeline = client.get("/councils/382/timeline", params={"known_on": known}, headers=auth(READER))
    assert (timeline.status_code, len(timeline.json())) == (200, 4)
    garbled = client.get("/councils/382", params={"known_on": "2019-02-30"}, headers=auth(READER))
    assert garbled.status_code == 422
    assert "known_on '2019-02-30' is not a date (YYYY-MM-DD) or an instant" in garbled.json()["message"]
