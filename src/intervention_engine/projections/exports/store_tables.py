"""The rows of the tables read from the store: one pass over each council's stream, in council code order.

Each function yields tuples in the order of its table's columns (`columns.TABLES`); dates are `datetime.date`,
times `datetime.datetime` in UTC, missing values None.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ...aggregates.council import Council
from ...aggregates.expectations import describe_fact
from ...persistence.projection import check_versions, project_events
from ...persistence.store import CouncilStore
from ...policies.rulebook import REGIONS, STAGES, derive_stage
from ..identity import CouncilIdentity
from ..national import NationalCount
from ..status import region_record
from ..timeline import timeline_entry

Row = tuple[Any, ...]
Identities = dict[uuid.UUID, CouncilIdentity]
ENGLAND = "England"


def _who(identity: CouncilIdentity) -> Row:
    return identity.code, identity.ons_code, identity.name, identity.region


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def facts(store: CouncilStore, identities: Identities) -> Iterator[Row]:
    for cid, identity in identities.items():
        event: Any
        for event in store.events.get(cid):
            data = event.__dict__
            fact = data.get("fact")
            if fact is None or "states" not in data:
                continue
            states = data["states"]
            yield (
                *_who(identity),
                event.originator_version,
                dt.date.fromisoformat(data["occurred_on"]),
                fact.get("date_precision", "day"),
                event.timestamp,
                fact["type"],
                describe_fact(fact),
                fact.get("source"),
                fact.get("confidence"),
                data.get("deviation") is not None,
                derive_stage(states),
                *(states[region] for region in REGIONS),
                json.dumps(fact, sort_keys=True),
            )


def events(store: CouncilStore, identities: Identities) -> Iterator[Row]:
    for cid, identity in identities.items():
        event: Any
        for event in store.events.get(cid):
            entry = timeline_entry(event)
            metadata = event.__dict__.get("metadata") or {}
            yield (
                *_who(identity),
                event.originator_version,
                dt.date.fromisoformat(entry.occurred_on),
                event.timestamp,
                entry.event,
                entry.summary,
                metadata.get("actor"),
                metadata.get("request_id"),
            )


def month_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """The last day of each month from `first`'s month to `last`'s, both included."""
    found: list[dt.date] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        found.append(following - dt.timedelta(days=1))
        year, month = following.year, following.month
    return found


def states(store: CouncilStore, identities: Identities, until: dt.date) -> Iterator[Row]:
    """Each council at the end of each month from its registration to `until`'s month, its stream projected a
    month at a time as the store projects it (`persistence.projection.project_events`)."""
    for cid, identity in identities.items():
        council: Council | None = None
        stream = list(store.events.get(cid))
        check_versions(identity.code, stream)  # a missing event is named before the council's first month
        pending: Iterator[Any] = iter(stream)
        upcoming = next(pending, None)
        registered = dt.date.fromisoformat(upcoming.__dict__["occurred_on"]) if upcoming is not None else until
        for month_end in month_ends(registered, until):
            day, month = month_end.isoformat(), []
            while upcoming is not None and upcoming.__dict__["occurred_on"] <= day:
                month.append(upcoming)
                upcoming = next(pending, None)
            council = project_events(council, month)
            if council is None:
                continue
            record = region_record(council, day)
            yield (
                *_who(identity),
                month_end,
                council.stage,
                *(council.states[region] for region in REGIONS),
                *(record[region] for region in REGIONS),
            )


def timers(councils: Iterable[tuple[CouncilIdentity, Council]]) -> Iterator[Row]:
    for identity, council in councils:
        for timer_id, timer in sorted(council.timers.items(), key=lambda item: item[1]["seq"]):
            yield (
                *_who(identity),
                timer_id,
                timer["kind"],
                timer["rule_id"],
                timer["policy_version"],
                _day(timer["scheduled_on"]),
                _day(timer["due_on"]),
                timer["status"],
                _day(timer["closed_on"]),
            )


def expectations(councils: Iterable[tuple[CouncilIdentity, Council]]) -> Iterator[Row]:
    for identity, council in councils:
        for expectation_id, found in sorted(council.expectations.items(), key=lambda item: item[1]["seq"]):
            yield (
                *_who(identity),
                expectation_id,
                found["kind"],
                found["rule_id"],
                found["policy_version"],
                found["expected"],
                _day(found["opened_on"]),
                _day(found["due_on"]),
                found["status"],
                _day(found["closed_on"]),
                found["closed_by"],
            )


def deviations(councils: Iterable[tuple[CouncilIdentity, Council]]) -> Iterator[Row]:
    for identity, council in councils:
        for found in sorted(council.deviations, key=lambda deviation: deviation["occurred_on"]):
            yield (
                *_who(identity),
                _day(found["occurred_on"]),
                found["kind"],
                found["how"],
                found["rule_id"],
                found["policy_version"],
                found["expected"],
                found["happened"],
            )


def national(counts: Sequence[NationalCount]) -> Iterator[Row]:
    """Every stage on every date for every region (and England: counts whose `region` is None), zeros included."""
    for count in sorted(counts, key=lambda c: (c.on, c.region is not None, c.region or "")):
        covered = count.stages_covered or {}
        for stage in STAGES:
            yield (
                count.on,
                count.region or ENGLAND,
                stage,
                count.stages.get(stage, 0),
                covered.get(stage, 0),
                count.councils,
                count.dfe_record_covered,
            )
