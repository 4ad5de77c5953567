"""One council's record from several sources at once (DESIGN decision 12): the same fact recorded once, with every
source that reported it; conflicts reported, the higher confidence winning and the other kept as a note.

Sources, strongest first when all else is equal: scenario files (hand-checked), research timelines, the DfE register,
the Ofsted CSV. Matching rules, each documented in the README:

- the same fact: the same type (and, for an inspection, the same report) from two different sources, with dates
  no more than `SAME_FACT_DAYS` apart (for a partial date, measured from the nearest day of its period). The fact
  kept is the one from the stronger source, with the more precise date of the two, and `provenance` naming both;
- a conflict: a DfE fact of the same type from another source between `SAME_FACT_DAYS` and `CONFLICT_DAYS` away
  with nothing nearer (dates far apart), or the same fact with different fields (a different form, a direction with
  and without a commissioner). The higher confidence wins (a tie goes to the stronger source); the other is kept as
  a `note_recorded` of kind `conflicting_source` saying what it claimed.

The result does not depend on the order the files were given in: sources are taken in a canonical order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..aggregates.expectations import describe_fact
from ..facts import Confidence, DatePrecision, Fact, NoteRecorded, fact_to_data, period_of

SAME_FACT_DAYS = 31  # a month: the register's and the timelines' dates for one fact differ by days to weeks
CONFLICT_DAYS = 183  # half a year: the same DfE step reported that far apart is one of them misdated
SOURCE_RANK = {"scenario": 0, "timeline": 1, "register": 2, "ofsted_csv": 3}
_CONFIDENCE_RANK = {Confidence.high: 0, Confidence.medium: 1, None: 1, Confidence.low: 2}
_DFE_FACTS = frozenset({
    "improvement_notice_issued", "improvement_notice_lifted", "statutory_direction_issued",
    "statutory_direction_revoked", "commissioner_appointed", "commissioner_reported", "alternative_delivery_decided",
    "alternative_delivery_live", "alternative_delivery_ended",
})  # fmt: skip
_IGNORED_FIELDS = frozenset({
    "occurred_on", "date_precision", "source", "confidence", "note", "provenance", "inferred", "inference",
    "implied_by", "simulated", "report_url", "framework", "inspection_type", "provider", "commissioner", "adviser",
    "visit_number",
})  # fmt: skip
_FILLABLE = frozenset({"form", "provider", "commissioner", "adviser", "report_url", "visit_number", "note"})
# Same-day facts from different sources are recorded in the lifecycle's order: a report before the DfE's answer to
# it, a notice lifted before the direction that replaces it (and a direction revoked before the notice that replaces
# it: Hull, August 2022), a decision before services go live.
TYPE_ORDER = (
    "coverage_declared", "inspection_published", "monitoring_visit_published", "focused_visit_published",
    "action_plan_submitted", "improvement_notice_lifted", "statutory_direction_revoked", "improvement_notice_issued",
    "statutory_direction_issued", "commissioner_appointed", "progress_review_completed", "commissioner_reported",
    "alternative_delivery_decided", "alternative_delivery_live", "alternative_delivery_ended",
    "support_and_supervision_ended", "note_recorded",
)  # fmt: skip


@dataclass(frozen=True)
class SourcedFact:
    """A fact as one source gave it: which kind of source, which file, and where in it."""

    fact: Fact
    kind: str  # a key of SOURCE_RANK
    origin: str  # the file, with its folder ("scenarios/surrey.yaml", "timelines/surrey.yaml")
    line: int

    @property
    def source(self) -> tuple[str, str]:
        """Which source this is: two kinds of file may share a name (a scenario and a timeline of one council)."""
        return self.kind, self.origin

    @property
    def rank(self) -> tuple[int, str, int]:
        return SOURCE_RANK[self.kind], self.origin, self.line

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The days the source's date can mean: the whole month, quarter or year it was written as."""
        return period_of(self.fact.occurred_on, self.fact.date_precision)


@dataclass
class Merged:
    """One council's facts from every source, in the order to record them, and what merging found."""

    facts: list[Fact] = field(default_factory=list)
    same_fact: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def as_written(fact: Fact) -> str:
    day = fact.occurred_on
    return {
        DatePrecision.month: f"{day:%Y-%m}",
        DatePrecision.quarter: f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        DatePrecision.year: f"{day.year}",
    }.get(fact.date_precision, day.isoformat())


def merge_sources(facts: Iterable[SourcedFact]) -> Merged:
    """Merge one council's facts from every source: each fact once, conflicts resolved and reported."""
    merged = Merged()
    kept: list[SourcedFact] = []
    claimed: set[tuple[int, tuple[str, str]]] = set()  # (kept index, source): one match per fact of each source
    for item in sorted(facts, key=lambda f: f.rank):
        index, gap = _nearest(kept, item, claimed)
        if index is None:
            kept.append(item)
            continue
        claimed.add((index, item.source))
        other = kept[index]
        same = gap <= SAME_FACT_DAYS and _agree(other.fact, item.fact)
        if same:
            kept[index] = _combine(other, item)
            merged.same_fact.append(f"{_where(item)} is {_where(other)}: {describe_fact(fact_to_data(other.fact))}")
            continue
        winner, loser = (other, item) if _stronger(other, item) else (item, other)
        why = f"{gap} days apart" if gap > SAME_FACT_DAYS else "different details"
        merged.conflicts.append(
            f"{_where(winner)} and {_where(loser)} disagree ({why}): kept "
            f"{_claim(winner)} (confidence {_confidence(winner)}); noted {_claim(loser)} "
            f"(confidence {_confidence(loser)})"
        )
        kept[index] = winner
        kept.append(_as_note(loser, winner))
    order = {kind: position for position, kind in enumerate(TYPE_ORDER)}
    kept.sort(key=lambda f: (f.fact.occurred_on, order.get(f.fact.describe(), len(order)), f.rank))
    merged.facts = [item.fact for item in kept]
    return merged


def _nearest(
    kept: Sequence[SourcedFact], item: SourcedFact, claimed: set[tuple[int, tuple[str, str]]]
) -> tuple[int | None, int]:
    kind = item.fact.describe()
    if kind == "note_recorded":
        return None, 0
    window = CONFLICT_DAYS if kind in _DFE_FACTS else SAME_FACT_DAYS
    best: tuple[int | None, int] = (None, window + 1)
    for index, other in enumerate(kept):
        if other.source == item.source or other.fact.describe() != kind or (index, item.source) in claimed:
            continue
        gap = _gap(other.period, item.period)
        if gap < best[1]:
            best = (index, gap)
    return best


def _gap(first: tuple[dt.date, dt.date], second: tuple[dt.date, dt.date]) -> int:
    if first[1] < second[0]:
        return (second[0] - first[1]).days
    if second[1] < first[0]:
        return (first[0] - second[1]).days
    return 0


def _agree(first: Fact, second: Fact) -> bool:
    """Two reports agree when every field both give is the same (one source may leave out what another gives)."""
    ours, theirs = _fields(first), _fields(second)
    return all(ours[key] == theirs[key] for key in ours.keys() & theirs.keys())


def _fields(fact: Fact) -> dict[str, Any]:
    """What must agree for two reports to be one fact (for an inspection: its overall grade; sources differ in which
    sub-judgements they copy)."""
    data = {key: value for key, value in fact_to_data(fact).items() if key not in _IGNORED_FIELDS}
    if "judgements" in data:
        data = {"overall": data["judgements"].get("overall")}
    return data


def _combine(kept: SourcedFact, other: SourcedFact) -> SourcedFact:
    """The kept fact, dated as precisely as either source dates it, with what only the other source gives (a form,
    a provider), naming every source."""
    precise = other if _precision(other.fact) < _precision(kept.fact) else kept
    provenance = tuple(dict.fromkeys((*kept.fact.provenance, *_provenance(kept), *_provenance(other))))
    given = kept.fact.model_dump(exclude_none=True)
    update: dict[str, Any] = {
        key: value
        for key, value in other.fact.model_dump(exclude_none=True).items()
        if key not in given and key in _FILLABLE
    }
    update |= {
        "provenance": provenance,
        "occurred_on": precise.fact.occurred_on,
        "date_precision": precise.fact.date_precision,
    }
    if kept.fact.source and other.fact.source and other.fact.source not in kept.fact.source:
        update["source"] = f"{kept.fact.source} ; {other.fact.source}"
    return replace(kept, fact=kept.fact.model_copy(update=update))


def _provenance(item: SourcedFact) -> tuple[str, ...]:
    return item.fact.provenance or (f"{item.origin} line {item.line} ({_confidence(item)})",)


def _precision(fact: Fact) -> int:
    return list(DatePrecision).index(fact.date_precision)


def _stronger(first: SourcedFact, second: SourcedFact) -> bool:
    return (_CONFIDENCE_RANK[first.fact.confidence], first.rank) <= (
        _CONFIDENCE_RANK[second.fact.confidence],
        second.rank,
    )


def _confidence(item: SourcedFact) -> str:
    return item.fact.confidence.value if item.fact.confidence else "not given"


def _where(item: SourcedFact) -> str:
    """The file and line a fact came from (an importer that knows the real line puts it first in `provenance`)."""
    return item.fact.provenance[0].rsplit(" (", 1)[0] if item.fact.provenance else f"{item.origin} line {item.line}"


def _claim(item: SourcedFact) -> str:
    return f"{describe_fact(fact_to_data(item.fact))} on {as_written(item.fact)}"


def _as_note(loser: SourcedFact, winner: SourcedFact) -> SourcedFact:
    note = NoteRecorded(
        occurred_on=loser.fact.occurred_on,
        date_precision=loser.fact.date_precision,
        source=loser.fact.source,
        confidence=loser.fact.confidence,
        provenance=_provenance(loser),
        kind="conflicting_source",
        detail=f"{_where(loser)} says {_claim(loser)}; {_where(winner)} (kept) says {_claim(winner)}",
    )
    return replace(loser, fact=note)
