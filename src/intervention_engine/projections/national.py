"""National counts: how many councils were in each stage and held each grade on given dates.

One pass over each council's stream serves every date asked for, so a series of twelve dates costs no more than
one. Only facts move states (timers never do), so only `Registered` and `FactRecorded` events are read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..policies.rulebook import derive_stage
from ..store import CouncilStore
from .council_index import CouncilIndex


@dataclass(frozen=True)
class NationalCount:
    """Councils by stage and by latest overall grade (the judgement region) on one date."""

    on: dt.date
    councils: int
    stages: dict[str, int]
    grades: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"on": self.on.isoformat(), "councils": self.councils, "stages": self.stages, "grades": self.grades}


def national_counts(store: CouncilStore, index: CouncilIndex, dates: Iterable[dt.date]) -> list[NationalCount]:
    wanted = sorted(set(dates))
    stages: list[Counter[str]] = [Counter() for _ in wanted]
    grades: list[Counter[str]] = [Counter() for _ in wanted]
    index.refresh()
    for cid in index.codes:
        for position, states in enumerate(_states_on(store, cid, wanted)):
            # A council registered later than the date is in the store's population all the same: on that date
            # the record holds no inspection of it.
            stage, grade = (derive_stage(states), states["judgement"]) if states else ("not_inspected", "not_inspected")
            stages[position][stage] += 1
            grades[position][grade] += 1
    return [
        NationalCount(day, sum(grades[i].values()), dict(sorted(stages[i].items())), dict(sorted(grades[i].items())))
        for i, day in enumerate(wanted)
    ]


def _states_on(store: CouncilStore, cid: Any, dates: Sequence[dt.date]) -> list[dict[str, str] | None]:
    """The council's states at the end of each date (None before it was registered), in one pass."""
    found: list[dict[str, str] | None] = []
    current: dict[str, str] | None = None
    position = 0
    for event in store.events.get(cid):
        states = event.__dict__.get("states")
        if states is None:
            continue
        while position < len(dates) and event.__dict__["occurred_on"] > dates[position].isoformat():
            found.append(current)
            position += 1
        current = states
    found += [current] * (len(dates) - position)
    return found
