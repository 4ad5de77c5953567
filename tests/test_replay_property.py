"""Property: recording then replaying the stored events gives the same council, and replay decides nothing.

Hypothesis draws arbitrary sequences of facts. Illegal ones are rejected in strict mode and must leave the stream
exactly as it was; legal ones are recorded with their timers. Reloading the council from the store, with every
guard, policy, calendar and clock booby-trapped, must give the same states, timers and deviations.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intervention_engine import InterventionError, Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import council_id
from intervention_engine.calendar import WorkingDayCalendar
from intervention_engine.policies.inspection_cycle import InspectionCyclePolicy
from intervention_engine.policies.rulebook import Rulebook

from factories import GRADES, SIMPLE, drawn_fact, registration

steps = st.lists(
    st.tuples(st.integers(0, 400), st.one_of(st.sampled_from(GRADES), st.sampled_from(range(len(SIMPLE))))),
    min_size=1,
    max_size=40,
)


def _observable(council: Any) -> dict[str, Any]:
    return {
        "states": council.states,
        "timers": council.timers,
        "deviations": council.deviations,
        "inspections": council.inspections,
        "details": council.details,
        "version": council.version,
    }


class _Trap(Exception):
    pass


def _trap(*_: Any, **__: Any) -> Any:
    raise _Trap("replay ran a decision")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, lenient=st.booleans())
def test_replay_gives_the_same_council_and_decides_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: list[tuple[int, str | int]], lenient: bool
) -> None:
    db = tmp_path / f"prop-{abs(hash(str(steps)))}-{lenient}.sqlite"
    db.unlink(missing_ok=True)
    engine = build_engine(
        Settings(db=db, strict=not lenient, snapshot_interval=7), clock=VirtualClock(dt.date(2014, 1, 1))
    )
    engine.record(None, registration())
    day = dt.date(2014, 3, 1)
    for gap, choice in steps:
        day += dt.timedelta(days=gap + 1)
        before = engine.store.recorder.select_notifications(None, 10_000)
        try:
            engine.record("382", drawn_fact(day, choice))
        except InterventionError:
            assert not lenient
            assert engine.store.recorder.select_notifications(None, 10_000) == before
    engine.advance_to(day + dt.timedelta(days=800))
    recorded = _observable(engine.store.repository.get(council_id("382")))
    engine.close()

    with monkeypatch.context() as trapped:
        for target, name in [
            (Rulebook, "rule"),
            (InspectionCyclePolicy, "react_to_fact"),
            (InspectionCyclePolicy, "react_to_timer"),
            (WorkingDayCalendar, "add_working_days"),
            (VirtualClock, "today"),
        ]:
            trapped.setattr(target, name, _trap)
        reopened = build_engine(Settings(db=db), clock=VirtualClock(dt.date(2014, 1, 1)))
        from_snapshots = _observable(reopened.store.repository.get(council_id("382")))
        replayed = None
        for event in reopened.store.events.get(council_id("382")):
            replayed = event.mutate(replayed)
        reopened.close()
    assert from_snapshots == recorded
    assert _observable(replayed) == recorded
