"""Ofsted's side of the world model: when a council is next inspected, and what the report finds.

The next fieldwork starts after an interval drawn from the real intervals for the era and grade of the previous
report (ILACS-04, ILACS-09), lasts as long as a real one, is published after a real publication lag (ILACS-10), and
its grade follows the real transition matrix for its era and the previous grade; an inadequate judgement is
systemic (DFE-03) as often as in the real record. All from `calibration.Calibration`, or from a script of outcomes.
Days are proleptic ordinals (`date.toordinal()`), as in the kernel.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from ..calendar import OfstedPause
from ..facts import FRAMEWORK_STARTS, Framework, InspectionPublished, framework_on
from .calibration import ERAS, Calibration

GRADES: tuple[str, ...] = ("outstanding", "good", "requires_improvement", "inadequate")
INADEQUATE = 3
ILACS_2026 = next(start for start, framework in FRAMEWORK_STARTS if framework is Framework.ilacs_2026).toordinal()
_SOURCE = "simulated by the world model: Ofsted outcome"


def day_of(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


@lru_cache(maxsize=1 << 14)
def era_of(fieldwork_start: int) -> str:
    """The calibration era (`sif`, `ilacs`, `pre_sif`) of a report whose fieldwork began that day (ILACS-01)."""
    return ERAS[framework_on(day_of(fieldwork_start)).value]


@dataclass(frozen=True)
class LastInspection:
    """What the outcome model needs of the latest report: when it was published, its era and effective grade."""

    published: int
    era: str
    grade: str  # the overall grade, or the worst key judgement for reports with no overall grade (April 2026 on)


@dataclass(frozen=True)
class PlannedInspection:
    """The next graded inspection of a council, drawn (or scripted) when the previous one was published."""

    fieldwork_start: int
    fieldwork_end: int
    published: int
    grade: str
    systemic: bool = False

    @property
    def ungraded(self) -> bool:
        """Reports from April 2026 carry no overall grade (ILACS-01)."""
        return self.fieldwork_start >= ILACS_2026


class OutcomeModel(Protocol):
    """Where Ofsted's next inspection of a council comes from."""

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None: ...


class CalibratedOutcomes:
    """Ofsted outcomes drawn from the real record (`Calibration`): five draws per inspection, always in order."""

    def __init__(self, calibration: Calibration, *, pause: OfstedPause | None = None) -> None:
        samples = calibration.samples
        if not samples:
            raise ValueError("the calibration holds no samples: calibrate again with this version of the engine")
        self.pause = pause
        prefix = "active_interval:" if pause is not None else "interval:"
        if not any(key.startswith(prefix) for key in samples):  # a calibration file written before the pause
            prefix = "interval:"
        self._intervals = {key.split(":", 1)[1]: days for key, days in samples.items() if key.startswith(prefix)}
        self._lags = {key.split(":")[1]: days for key, days in samples.items() if key.startswith("publication_lag:")}
        self._fieldwork = {key.split(":")[1]: days for key, days in samples.items() if key.startswith("fieldwork:")}
        self._transitions = {
            (era, previous): _cumulative(counts)
            for era, rows in calibration.transitions.items()
            for previous, counts in rows.items()
        }
        self._first = {era: _cumulative(counts) for era, counts in calibration.first_grades.items()}
        self._systemic = {
            era: counts.get("systemic", 0) / max(1, sum(counts.values()))
            for era, counts in calibration.systemic.items()
        }
        pooled = sorted(day for key, days in self._intervals.items() if key.startswith("any:") for day in days)
        self._pooled_median = pooled[len(pooled) // 2] if pooled else 3 * 365

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection:
        draw = rng.random
        u_interval, u_fieldwork, u_lag, u_grade, u_systemic = draw(), draw(), draw(), draw(), draw()
        start = self._fieldwork_start(u_interval, last, not_before)
        era = era_of(start)
        end = start + _pick(self._samples(self._fieldwork, era), u_fieldwork, 10)
        published = end + _pick(self._samples(self._lags, era), u_lag, 45)
        grade = self._grade(u_grade, era, last.grade if last else None)
        systemic = grade == "inadequate" and u_systemic < self._systemic.get(era, self._systemic.get("ilacs", 0.4))
        return PlannedInspection(start, end, published, grade, systemic)

    def _fieldwork_start(self, u: float, last: LastInspection | None, not_before: int) -> int:
        """ILACS-04/09: the interval since the last report for its era and grade, given that it is still to come.
        With the pause (ILACS-04, `calendar.OfstedPause`) the intervals are in active days: the pause is skipped."""
        if last is None:
            return self._after(not_before, int(u * self._pooled_median))
        days = self._intervals.get(f"{last.era}:{last.grade}") or self._intervals.get(f"any:{last.grade}") or []
        first = bisect.bisect_left(days, self._between(last.published, not_before))
        if first >= len(days):  # overdue beyond anything on record: within the next six months
            return self._after(not_before, int(u * 182))
        return self._after(last.published, days[first + int(u * (len(days) - first))])

    def _after(self, day: int, days: int) -> int:
        return day + days if self.pause is None else self.pause.add_active_days(day, days)

    def _between(self, start: int, end: int) -> int:
        return end - start if self.pause is None else self.pause.active_days(start, end)

    def _grade(self, u: float, era: str, previous: str | None) -> str:
        if previous:
            table = self._transitions.get((era, previous)) or self._transitions.get(("ilacs", previous))
        else:
            table = self._first.get(era) or self._first.get("ilacs")
        if not table:
            table = self._first.get("ilacs") or [(1.0, "requires_improvement")]
        for threshold, grade in table:
            if u < threshold:
                return grade
        return table[-1][1]

    @staticmethod
    def _samples(table: Mapping[str, Sequence[int]], era: str) -> Sequence[int]:
        return table.get(era) or table.get("ilacs") or ()


def _cumulative(counts: Mapping[str, int]) -> list[tuple[float, str]]:
    """Cumulative probabilities over the four grades; `ungraded` is a way of reporting, not an outcome."""
    graded = {grade: counts.get(grade, 0) for grade in GRADES}
    total = sum(graded.values())
    if not total:
        return []
    running, table = 0, []
    for grade in GRADES:
        if graded[grade]:
            running += graded[grade]
            table.append((running / total, grade))
    return table


def _pick(samples: Sequence[int], u: float, default: int) -> int:
    return samples[int(u * len(samples))] if samples else default


@dataclass(frozen=True)
class ScriptedInspection:
    """One inspection of a script of outcomes: its publication date, grade and, if inadequate, whether systemic."""

    published: dt.date
    grade: str
    systemic: bool = False
    fieldwork_start: dt.date | None = None
    fieldwork_end: dt.date | None = None

    def planned(self) -> PlannedInspection:
        end = self.fieldwork_end or self.published - dt.timedelta(days=42)
        start = self.fieldwork_start or end - dt.timedelta(days=11)
        return PlannedInspection(
            start.toordinal(), end.toordinal(), self.published.toordinal(), self.grade, self.systemic
        )

    def to_dict(self) -> dict[str, Any]:
        data = {"published": self.published.isoformat(), "grade": self.grade, "systemic": self.systemic}
        for key in ("fieldwork_start", "fieldwork_end"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptedInspection:
        dates = {k: dt.date.fromisoformat(data[k]) for k in ("fieldwork_start", "fieldwork_end") if data.get(k)}
        return cls(dt.date.fromisoformat(data["published"]), data["grade"], bool(data.get("systemic")), **dates)


@dataclass
class ScriptedOutcomes:
    """Ofsted outcomes from a script, council by council; when a council's script runs out, `then` takes over
    (or no more inspections happen). A script draws nothing."""

    script: Mapping[str, Sequence[ScriptedInspection]]
    then: OutcomeModel | None = None

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None:
        after = max(last.published if last else 0, not_before - 1)
        for scripted in sorted(self.script.get(council, ()), key=lambda s: s.published):
            if scripted.published.toordinal() > after:
                return scripted.planned()
        return self.then.next_inspection(rng, council, last, not_before) if self.then else None


@dataclass
class OutcomesAfter:
    """Outcomes from `then`, with no fieldwork before `day` (the real reports are replayed up to then)."""

    day: int
    then: OutcomeModel

    def next_inspection(
        self, rng: random.Random, council: str, last: LastInspection | None, not_before: int
    ) -> PlannedInspection | None:
        return self.then.next_inspection(rng, council, last, max(not_before, self.day))


def inspection_fact(planned: PlannedInspection) -> InspectionPublished:
    """The report of a planned inspection, with judgements that make its grade and failure what was drawn.

    ILACS-11: help and protection inadequate makes the overall grade inadequate; systemic failure (DFE-03) means every
    key judgement inadequate. Reports from April 2026 have no overall grade (ILACS-01, ILACS-12).
    """
    grade = planned.grade
    judgements: dict[str, str] = {"help_and_protection": grade, "children_in_care": grade, "leadership": grade}
    if grade == "inadequate" and not planned.systemic:
        judgements["children_in_care"] = judgements["leadership"] = "requires_improvement"
    if not planned.ungraded:
        judgements["overall"] = grade
    return InspectionPublished(
        occurred_on=day_of(planned.published),
        fieldwork_start=day_of(planned.fieldwork_start),
        fieldwork_end=day_of(planned.fieldwork_end),
        judgements=judgements,  # pydantic validates the mapping
        simulated=True,
        source=_SOURCE,
    )


def effective_grade(judgements: Mapping[str, Any]) -> str | None:
    """The overall grade, or (April 2026 on) the worst of the key judgements; None when nothing is graded."""
    overall = judgements.get("overall")
    if overall in GRADES:
        return str(overall)
    keys = [judgements.get(k) for k in ("help_and_protection", "children_in_care", "leadership")]
    graded = [GRADES.index(str(grade)) for grade in keys if grade in GRADES]
    return GRADES[max(graded)] if graded else None
