"""National counts: how many councils were in each stage and held each grade on given dates.

One pass over each council's stream serves every date asked for, so a series of twelve dates costs no more than
one. Only facts move states (timers never do), so only `Registered` and `FactRecorded` events are read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..aggregates.coverage import coverage_span, covered, initial_coverage
from ..facts import parse_fact
from ..persistence.council_index import CouncilIndex
from ..persistence.store import CouncilStore
from ..policies.rulebook import INTERVENTION_STAGES, derive_stage


@dataclass(frozen=True)
class NationalCount:
    """Councils by stage and by latest overall grade (the judgement region) on one date.

    The stages are what the record holds. Where a council's DfE record is not covered by a source that keeps
    everything (DESIGN decision 12), its "no instrument" means "nothing on record", so the count of councils in
    intervention is a floor: `in_intervention` is "at least", over `dfe_record_covered` councils known in full."""

    on: dt.date
    councils: int
    stages: dict[str, int]
    grades: dict[str, int]
    in_intervention: int = 0
    dfe_record_covered: int = 0
    in_intervention_covered: int = 0  # of the councils in intervention, those whose DfE record is covered
    region: str | None = None  # the region counted (`national_counts(..., group_of=...)`); None: every council
    stages_covered: dict[str, int] | None = None  # of the councils in each stage, those whose DfE record is covered

    @property
    def complete(self) -> bool:
        return self.dfe_record_covered == self.councils

    def intervention_text(self) -> str:
        floor = "" if self.complete else "at least "
        return f"{floor}{self.in_intervention} (DfE record covered for {self.dfe_record_covered} of {self.councils})"

    def to_dict(self) -> dict[str, Any]:
        return {
            **({"region": self.region} if self.region is not None else {}),
            "on": self.on.isoformat(), "councils": self.councils, "stages": self.stages, "grades": self.grades,
            "in_intervention": {
                "count": self.in_intervention, "at_least": not self.complete,
                "dfe_record_covered": self.dfe_record_covered, "covered_in_intervention": self.in_intervention_covered,
            },
            **({"stages_dfe_record_covered": self.stages_covered} if self.stages_covered is not None else {}),
        }  # fmt: skip


def national_counts(
    store: CouncilStore,
    index: CouncilIndex,
    dates: Iterable[dt.date],
    group_of: Callable[[Any], str] | None = None,
    *,
    with_total: bool = False,
) -> list[NationalCount]:
    """Councils by stage and grade on each date; with `group_of` (a council's stream id to its group, such as its
    region), one count per group and date, by date then group, and with `with_total` also the count of every
    council (region None) first on each date, from the same single pass over each stream."""
    wanted = sorted(set(dates))
    stages: dict[tuple[int, str | None], Counter[str]] = {}
    grades: dict[tuple[int, str | None], Counter[str]] = {}
    covered_stages: dict[tuple[int, str | None], Counter[str]] = {}
    if group_of is None or with_total:  # every date is counted, even in an empty store
        for position in range(len(wanted)):
            stages[position, None], grades[position, None], covered_stages[position, None] = (
                Counter(),
                Counter(),
                Counter(),
            )
    index.refresh()
    for cid in index.codes:
        group = group_of(cid) if group_of is not None else None
        groups = (group, None) if group is not None and with_total else (group,)
        for position, (states, spans) in enumerate(_states_on(store, cid, wanted)):
            # A council registered later than the date is in the store's population all the same: on that date
            # the record holds no inspection of it.
            stage, grade = (derive_stage(states), states["judgement"]) if states else ("not_inspected", "not_inspected")
            dfe_covered = covered(spans, _DFE_REGIONS, wanted[position].isoformat(), wanted[position].isoformat())
            for key in ((position, counted) for counted in groups):
                stages.setdefault(key, Counter())[stage] += 1
                grades.setdefault(key, Counter())[grade] += 1
                covered_stages.setdefault(key, Counter())
                if dfe_covered:
                    covered_stages[key][stage] += 1
    keys = sorted(stages, key=lambda key: (key[0], key[1] or ""))
    return [_count(wanted[key[0]], key[1], stages[key], grades[key], covered_stages[key]) for key in keys]


def _count(
    day: dt.date, group: str | None, stages: Counter[str], grades: Counter[str], covered_stages: Counter[str]
) -> NationalCount:
    return NationalCount(
        day,
        sum(grades.values()),
        dict(sorted(stages.items())),
        dict(sorted(grades.items())),
        sum(stages[stage] for stage in INTERVENTION_STAGES),
        sum(covered_stages.values()),
        sum(covered_stages[stage] for stage in INTERVENTION_STAGES),
        group,
        dict(sorted(covered_stages.items())),
    )


Spans = list[dict[str, Any]]
_DFE_REGIONS = ("instrument", "delivery")


def _states_on(store: CouncilStore, cid: Any, dates: Sequence[dt.date]) -> list[tuple[dict[str, str] | None, Spans]]:
    """The council's states at the end of each date (None before it was registered) and what its sources cover, in
    one pass."""
    found: list[tuple[dict[str, str] | None, Spans]] = []
    current: dict[str, str] | None = None
    spans: Spans = []
    position = 0
    for event in store.events.get(cid):
        states = event.__dict__.get("states")
        if states is None:
            continue
        while position < len(dates) and event.__dict__["occurred_on"] > dates[position].isoformat():
            found.append((current, spans))
            position += 1
        current = states
        fact = event.__dict__.get("fact") or {}
        if current is not None and "code" in event.__dict__ and not spans:
            spans = initial_coverage(fact, event.__dict__["occurred_on"], list(current))
        elif fact.get("type") == "coverage_declared":
            spans = [*spans, coverage_span(parse_fact(fact))]  # type: ignore[arg-type]
    found += [(current, spans)] * (len(dates) - position)
    return found
