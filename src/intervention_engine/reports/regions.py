"""The national chart by region: councils in each stage of DfE intervention, month by month, one panel per region.

A council's region is the one its registration names (`council_registered.region`, from the council identity
table); a council registered without one is counted under "region not recorded". A council's position on a day is
read off its timeline (`history.neighbours.positions_on`), so the regions' counts add up to the national chart's.
As there, the count in intervention is a floor wherever a council's DfE record is not covered (DESIGN decision 12):
each panel's title says "at least" unless every council of the region is covered on the last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..engine import TimelineEntry
from ..history.neighbours import positions_on
from ..policies.rulebook import INTERVENTION_STAGES

NO_REGION = "region not recorded"


@dataclass(frozen=True)
class RegionSeries:
    """One region's councils in each stage of DfE intervention on each day (`days`), and how many of them had a
    DfE record a source covers."""

    region: str
    councils: int
    days: tuple[dt.date, ...]
    stages: Mapping[str, tuple[int, ...]]
    covered: tuple[int, ...]

    def in_intervention(self, position: int) -> int:
        return sum(counts[position] for counts in self.stages.values())

    def title(self) -> str:
        """`London (33 councils): at least 6`, the count in intervention on the last day."""
        last = len(self.days) - 1
        floor = "" if self.covered[last] == self.councils else "at least "
        councils = "council" if self.councils == 1 else "councils"
        return f"{self.region} ({self.councils} {councils}): {floor}{self.in_intervention(last)}"

    def words(self) -> str:
        """`London, 33 councils: at least 4 in DfE intervention on 1 December 2026`."""
        last = len(self.days) - 1
        floor = "" if self.covered[last] == self.councils else "at least "
        councils = "council" if self.councils == 1 else "councils"
        return (
            f"{self.region}, {self.councils} {councils}: {floor}{self.in_intervention(last)} in DfE intervention "
            f"on {self.days[last]:%-d %B %Y}"
        )


def region_series(
    regions: Mapping[str, str | None], timelines: Mapping[str, Sequence[TimelineEntry]], days: Sequence[dt.date]
) -> tuple[RegionSeries, ...]:
    """Every region's series, regions in name order (the councils with no region last)."""
    members: dict[str, list[str]] = {}
    for code, region in regions.items():
        members.setdefault(region or NO_REGION, []).append(code)
    found = []
    for region in sorted(members, key=lambda name: (name == NO_REGION, name)):
        stages = {stage: [0] * len(days) for stage in INTERVENTION_STAGES}
        covered = [0] * len(days)
        for code in members[region]:
            for position, held in enumerate(positions_on(timelines[code], days)):
                if held is not None and held.stage in stages:
                    stages[held.stage][position] += 1
                covered[position] += held is not None and held.dfe_record == "covered"
        seen = {stage: tuple(counts) for stage, counts in stages.items() if any(counts)}
        found.append(RegionSeries(region, len(members[region]), tuple(days), seen, tuple(covered)))
    return tuple(found)


def registered_region(entries: Sequence[TimelineEntry]) -> str | None:
    """The region the council's registration names, if any."""
    for entry in entries:
        if entry.event == "Registered":
            return (entry.data.get("fact") or {}).get("region") or None
    return None
