"""What a council's sources cover (DESIGN decision 12): plain-data spans, so coverage lives in events and snapshots.

A span says a source keeps everything that happened in some regions over some days. A council registered by a source
that keeps its whole record (`record_complete`, the default: a live service, a test) is covered in every region from
registration on; importers of partial national records register with `record_complete: false` and declare spans
(`coverage_declared`). A day in a region no span covers is "nothing on record".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from ..calendar import add_months
from ..facts import CoverageDeclared, DatePrecision, Fact

OPEN_ENDED = "9999-12-31"


def initial_coverage(registration: Mapping[str, Any], registered_on: str, regions: list[str]) -> list[dict[str, Any]]:
    """The span a registration declares: every region from registration on, unless the record is partial."""
    if not registration.get("record_complete", True):
        return []
    return [{"regions": regions, "from": registered_on, "until": None, "source": "registration"}]


def coverage_span(fact: CoverageDeclared) -> dict[str, Any]:
    return {
        "regions": [region.value for region in fact.regions],
        "from": fact.covers_from.isoformat(),
        "until": fact.covers_until.isoformat() if fact.covers_until else None,
        "source": fact.source or "unnamed source",
    }


def partial_date(fact: Fact) -> dict[str, Any]:
    """A fact whose date its source knew only to the month, quarter or year: the days it can mean, and where the
    importer placed it (a state asked for inside that span is uncertain, and says so)."""
    months = {DatePrecision.month: 1, DatePrecision.quarter: 3, DatePrecision.year: 12}[fact.date_precision]
    day = fact.occurred_on
    if fact.date_precision is DatePrecision.year:
        start = dt.date(day.year, 1, 1)
    else:
        start = dt.date(day.year, day.month - (day.month - 1) % months, 1)
    end = add_months(start, months) - dt.timedelta(days=1)
    return {
        "fact": fact.describe(),
        "placed_on": day.isoformat(),
        "precision": fact.date_precision.value,
        "from": start.isoformat(),
        "until": end.isoformat(),
    }


def uncertain_on(partial_dates: Sequence[Mapping[str, Any]], day: str) -> list[str]:
    """What may or may not have happened yet on `day`, because its source dates it only to a period holding `day`."""
    found = []
    for item in partial_dates:
        if item["from"] <= day <= item["until"] and day != item["until"]:
            happened = "recorded as already happened" if item["placed_on"] <= day else "recorded as not yet happened"
            found.append(
                f"{item['fact']}: known only to the {item['precision']} ({item['from']} to {item['until']}), placed on "
                f"{item['placed_on']}; on {day} it is {happened}, which the record cannot confirm"
            )
    return found


def covered(spans: Sequence[Mapping[str, Any]], regions: Sequence[str], start: str, end: str) -> bool:
    """Whether, in every region, the union of the spans holds every day from `start` to `end` (ISO dates)."""
    return all(_union_covers(spans, region, start, end) for region in regions)


def _union_covers(spans: Sequence[Mapping[str, Any]], region: str, start: str, end: str) -> bool:
    reach = start  # the first day not yet known to be covered; spans sorted by start, so a gap is final
    for span in sorted((s for s in spans if region in s["regions"]), key=lambda s: str(s["from"])):
        if span["from"] > reach:
            return False
        until = span["until"] or OPEN_ENDED
        if until >= end:
            return True
        if until >= reach:
            reach = (dt.date.fromisoformat(until) + dt.timedelta(days=1)).isoformat()
    return False
