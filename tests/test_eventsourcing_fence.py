"""The one module that reaches into eventsourcing's private API (persistence/store.py: `CouncilStore.save` calls
`_record`, `_take_snapshots`, `_notify`; `CouncilRepository.get` passes `get`'s keywords on) is fenced by this test:
an upgrade of the library that changes any of those signatures fails here, by name, before anything silently
misbehaves (issue 11)."""

from __future__ import annotations

import inspect

import pytest
from eventsourcing.application import Application, ProcessingEvent, Repository

# Written out by hand from eventsourcing 9.5.6, the version the project pins within `>=9.5,<10`.
EXPECTED = {
    (Application, "_record"): ["self", "processing_event"],
    (Application, "_take_snapshots"): ["self", "processing_event"],
    (Application, "_notify"): ["self", "recordings"],
    (Application, "notify"): ["self", "new_events"],
    (Application, "save"): ["self", "objs", "kwargs"],
    (Application, "construct_env"): ["self", "name", "env"],
    (Application, "construct_repository"): ["self"],
    (Repository, "get"): [
        "self", "aggregate_id", "version", "projector_func", "fastforward_skipping", "deepcopy_from_cache"
    ],
    (Repository, "__init__"): [
        "self", "event_store", "snapshot_store", "cache_maxsize", "fastforward", "fastforward_skipping",
        "deepcopy_from_cache",
    ],
}  # fmt: skip


@pytest.mark.parametrize(("owner", "name"), list(EXPECTED), ids=[f"{o.__name__}.{n}" for o, n in EXPECTED])
def test_the_private_api_the_store_relies_on_has_not_changed(owner: type, name: str) -> None:
    parameters = list(inspect.signature(getattr(owner, name)).parameters)
    assert parameters == EXPECTED[(owner, name)], f"eventsourcing changed {owner.__name__}.{name}: see store.py"


def test_a_processing_event_still_collects_events_and_aggregates_as_the_store_fills_them() -> None:
    event = ProcessingEvent()
    assert (event.events, event.aggregates) == ([], {})
