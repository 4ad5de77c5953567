"""Fuzzing: schemathesis against the published OpenAPI spec, hypothesis against the fact models.

Whatever arrives, the answer is never a 500, a refused fact changes nothing, and every stream stays sound: its
versions run 1..n, the log's positions only grow, and replaying a council's events gives the council the
repository loads (snapshots included). The numbers of cases tried are printed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from intervention_engine import (
    InterventionEngine,
    InterventionError,
    Settings,
    SystemClock,
    VirtualClock,
    build_engine,
)
from intervention_engine.aggregates.council import council_id
from intervention_engine.facts import FACT_TYPES, AnyFact
from intervention_engine.service import TokenRegistry, create_app

from factories import inspection, registration
from http_service import ADMIN, TOKENS, auth

D = dt.date
EXAMPLES = 60  # per operation and generation mode
SLOW_OPERATIONS = {"/report": 8}  # each drawn report renders charts: fewer examples
FACT_EXAMPLES = 400


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[InterventionEngine]:
    """A live engine, as the service runs: facts dated after today are refused."""
    engine = build_engine(
        Settings(backend="sqlite", db=tmp_path / "fuzz.sqlite", snapshot_interval=5), clock=SystemClock()
    )
    engine.record(None, registration())
    engine.record("382", inspection(D(2016, 11, 25), "inadequate"))
    engine.record(None, registration("383", "Leeds"))
    yield engine
    engine.close()


def assert_streams_sound(engine: InterventionEngine) -> None:
    for notification in engine.store.recorder.select_notifications(None, 1_000_000):
        engine.store.mapper.to_domain_event(notification)  # every stored event still decodes
    for code, _ in engine.councils():
        cid = council_id(code)
        events = list(engine.store.events.get(cid))
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        replayed = None
        for event in events:
            replayed = event.mutate(replayed)
        loaded = engine.store.repository.get(cid)
        assert replayed is not None
        assert replayed.__dict__ == loaded.__dict__, f"council {code}: replay and repository disagree"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_corrupted_stream(
    seeded: InterventionEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    app = create_app(seeded, tokens=tokens)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tried: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/events/stream":
            continue  # an endless stream by design; test_http.py and test_http_service.py cover it
        for mode in GenerationMode:
            fuzz(operation, mode, tried, statuses)
    assert_streams_sound(seeded)
    with capsys.disabled():
        print(
            f"\nschemathesis: {sum(tried.values())} cases over {len(tried)} operation/mode pairs, "
            f"statuses {dict(sorted(statuses.items()))}, 0 server errors"
        )
    assert sum(tried.values()) > 1000
    assert statuses[201] > 0, "no generated fact was ever recorded: the fuzzing did not reach the engine"


def fuzz(operation: Any, mode: GenerationMode, tried: Counter[str], statuses: Counter[int]) -> None:
    """Call one operation with EXAMPLES generated requests: never a 500; valid requests get documented answers."""
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    label = f"{operation.method.upper()} {operation.path} {mode.value}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=SLOW_OPERATIONS.get(operation.path, EXAMPLES),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        response = case.call(headers=auth(ADMIN))
        statuses[response.status_code] += 1
        tried[label] += 1
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
        if mode is GenerationMode.POSITIVE:
            case.validate_response(response, checks=checks, headers=auth(ADMIN))

    try:
        call()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to break in an operation without parameters


# ------------------------------------------------------------------------------------------------------------------
# Hypothesis against the fact models.

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
DATES = st.integers(0, 9).flatmap(
    lambda roll: (
        st.sampled_from(
            [
                "2017-03",
                "2015-Q4",
                "2017",
                "2017-02-30",
                "2017-13-01",
                "",
                "0000-01-01",
                "9999-12-31",
                "2017-Q5",
                " 2018 ",
            ]
        )
        if roll == 0
        else st.dates(D(2014, 1, 1), D(2029, 12, 31)).map(dt.date.isoformat)
    )
)
MODELS = {model.model_fields["type"].default: model for model in get_args(get_args(AnyFact)[0])}


def field_values(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    """Mostly plausible values for a fact field (dates, enum members, grades), now and then arbitrary JSON."""
    return st.integers(0, 7).flatmap(lambda roll: JSON if roll == 0 else plausible(name, annotation))


def plausible(name: str, annotation: Any) -> st.SearchStrategy[Any]:
    kinds = {arg for arg in (*get_args(annotation), annotation) if isinstance(arg, type)}
    if name == "occurred_on" or name.startswith("fieldwork"):
        return DATES
    if name == "judgements":
        grades = st.sampled_from(["inadequate", "good", "requires_improvement", "outstanding", "not_graded"])
        keys = ["overall", "help_and_protection", "children_in_care", "leadership", "care_leavers"]
        return st.dictionaries(st.sampled_from(keys), grades, min_size=3, max_size=5)
    enums = [kind for kind in kinds if issubclass(kind, Enum)]
    if enums:
        return st.sampled_from([member.value for member in enums[0]])
    if bool in kinds:
        return st.booleans()
    if int in kinds:
        return st.integers(-1, 12)
    return st.text(max_size=12)


@st.composite
def facts(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 20)) == 0:
        return draw(JSON)
    fact_type = draw(st.sampled_from(FACT_TYPES) | st.text(max_size=10))
    model = MODELS.get(fact_type)
    fields = {"type": fact_type}
    for name, info in (model.model_fields if model else {}).items():
        if name != "type" and (info.is_required() or draw(st.booleans())) and draw(st.integers(0, 15)) > 0:
            fields[name] = draw(field_values(name, info.annotation))
    if draw(st.integers(0, 10)) == 0:
        fields[draw(st.text(min_size=1, max_size=8))] = draw(JSON)
    return fields


def test_hypothesis_fact_models_refuse_cleanly_and_never_corrupt_a_stream(capsys: pytest.CaptureFixture[str]) -> None:
    settings_ = Settings(backend="memory", snapshot_interval=5, council_code_pattern=r"C[0-9]+")
    engine = build_engine(settings_, clock=VirtualClock(D(2030, 1, 1)))
    outcomes: Counter[str] = Counter()
    councils = iter(range(1_000_000))

    @given(inadequate=st.booleans(), sequence=st.lists(facts(), min_size=1, max_size=4), by_name=st.booleans())
    @settings(max_examples=FACT_EXAMPLES, deadline=None, database=None, derandomize=True)
    def record(inadequate: bool, sequence: list[Any], by_name: bool) -> None:
        code = f"C{next(councils)}"
        engine.record(None, registration(code, f"Council {code}"))
        if inadequate:
            engine.record(code, inspection(D(2016, 11, 25), "inadequate"))
        for fact in sequence:
            before = engine.last_position()
            try:
                engine.record(f"council {code}" if by_name else code, fact)
            except InterventionError as refused:
                outcomes[type(refused).__name__] += 1
                assert engine.last_position() == before, "a refused fact changed the store"
            else:
                outcomes["recorded"] += 1

    try:
        record()
        assert_streams_sound(engine)
    finally:
        engine.close()
    with capsys.disabled():
        print(f"\nhypothesis: {sum(outcomes.values())} facts tried, outcomes {dict(sorted(outcomes.items()))}")
    assert outcomes["recorded"] > 0
    assert outcomes["InvalidFact"] > 0
    assert outcomes["MoveNotAllowed"] > 0
