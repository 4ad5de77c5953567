"""Calibration: what a simulation needs to know, computed reproducibly from the real record.

From the Ofsted CSV: the grade transition matrix by previous grade and era, the interval from one report to the
next inspection by grade, and the lag from the end of fieldwork to publication (ILACS-04, ILACS-09, ILACS-10).
From scenario files (the hand-translated council timelines): the lags between DfE steps where the sources give
them (DFE-03a, DFE-06, DFE-07, DFE-08). Every figure carries its sample size; nothing is fitted or smoothed, so
the same inputs always give the same output.

Besides the summaries, `samples` keeps every observation (sorted) so a simulation can draw from the real cases
themselves, and `systemic` and `recommendations` give the shares a world model needs: how many inadequate
judgements were systemic failures (DFE-03) and what commissioners recommended (DFE-06).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..calendar import OFSTED_PAUSE, months_between
from ..facts import (
    AlternativeDeliveryEnded,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Fact,
    Framework,
    Grade,
    ImprovementNoticeIssued,
    ImprovementNoticeLifted,
    InspectionPublished,
    StatutoryDirectionIssued,
)
from ..history.ofsted_csv import OfstedImport
from ..history.scenario import Scenario

ERAS = {"sif": "sif", "ilacs_2018": "ilacs", "ilacs_2023": "ilacs", "ilacs_2026": "ilacs", "pre_sif": "pre_sif"}


@dataclass(frozen=True)
class Spread:
    """A sample of day counts: size, median, 10th and 90th percentiles, range."""

    n: int
    median: float
    p10: float
    p90: float
    low: int
    high: int

    @classmethod
    def of(cls, days: Sequence[int]) -> Spread | None:
        if not days:
            return None
        ordered = sorted(days)
        deciles = statistics.quantiles(ordered, n=10, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 9
        return cls(len(ordered), statistics.median(ordered), deciles[0], deciles[-1], ordered[0], ordered[-1])

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Calibration:
    transitions: dict[str, dict[str, dict[str, int]]]  # era → previous grade → next grade → count
    first_grades: dict[str, dict[str, int]]  # era → grade → count, for first inspections on record
    intervals: dict[str, Spread]  # previous overall grade → days from publication to next fieldwork start
    intervals_by_era: dict[str, dict[str, Spread]]  # era of the previous report → grade → days
    publication_lag: dict[str, Spread]  # era → days from end of fieldwork to publication
    dfe_lags: dict[str, Spread]  # DfE step → days
    dfe_examples: dict[str, list[str]]  # DfE step → "council: days"
    samples: dict[str, list[int]] = field(default_factory=dict)  # "interval:<era>:<grade>", ... → sorted days
    systemic: dict[str, dict[str, int]] = field(default_factory=dict)  # era → systemic / not_systemic counts
    recommendations: dict[str, int] = field(default_factory=dict)  # commissioner recommendation → count

    def to_dict(self) -> dict[str, Any]:
        return {
            "transitions": self.transitions,
            "first_grades": self.first_grades,
            "intervals": {key: spread.to_dict() for key, spread in self.intervals.items()},
            "intervals_by_era": {
                era: {key: spread.to_dict() for key, spread in rows.items()}
                for era, rows in self.intervals_by_era.items()
            },
            "publication_lag": {key: spread.to_dict() for key, spread in self.publication_lag.items()},
            "dfe_lags": {key: spread.to_dict() for key, spread in self.dfe_lags.items()},
            "dfe_examples": self.dfe_examples,
            "systemic": self.systemic,
            "recommendations": self.recommendations,
            "samples": self.samples,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """A calibration written by `to_dict` (the `calibrate --out` file), read back."""

        def spreads(rows: dict[str, Any]) -> dict[str, Spread]:
            return {key: Spread(**value) for key, value in rows.items()}

        return cls(
            transitions=data["transitions"],
            first_grades=data["first_grades"],
            intervals=spreads(data["intervals"]),
            intervals_by_era={era: spreads(rows) for era, rows in data["intervals_by_era"].items()},
            publication_lag=spreads(data["publication_lag"]),
            dfe_lags=spreads(data["dfe_lags"]),
            dfe_examples=data["dfe_examples"],
            samples=data.get("samples", {}),
            systemic=data.get("systemic", {}),
            recommendations=data.get("recommendations", {}),
        )

    def transition_probabilities(self, era: str, previous: str) -> dict[str, float]:
        counts = self.transitions.get(era, {}).get(previous, {})
        total = sum(counts.values())
        return {grade: count / total for grade, count in counts.items()} if total else {}


def calibrate(
    ofsted: OfstedImport, scenarios: Iterable[Scenario] = (), histories: Mapping[str, Sequence[Fact]] | None = None
) -> Calibration:
    """The calibration of the record. DfE lags, escalations, commissioners' recommendations and spells of
    alternative delivery come from `histories` (every council's merged facts, `RealRecord.histories`) when given,
    otherwise from the scenario files alone."""
    transitions: dict[str, dict[str, Counter[str]]] = {}
    first: dict[str, Counter[str]] = {}
    intervals: dict[str, list[int]] = {}
    active: dict[str, list[int]] = {}  # ILACS-04/09: the same intervals in days outside the 2020-21 pause
    by_era: dict[str, dict[str, list[int]]] = {}
    lags: dict[str, list[int]] = {}
    fieldwork: dict[str, list[int]] = {}
    systemic: dict[str, Counter[str]] = {}
    for code in sorted(ofsted.inspections):
        history = ofsted.inspections[code]
        for previous, current in zip([None, *history], history, strict=False):
            era, grade = _era(current), _grade(current)
            lags.setdefault(era, []).append((current.occurred_on - current.fieldwork_end).days)
            fieldwork.setdefault(era, []).append((current.fieldwork_end - current.fieldwork_start).days)
            if grade == "inadequate":
                key_grades = current.judgements.key_grades()
                failure = "systemic" if all(g is Grade.inadequate for g in key_grades) else "not_systemic"
                systemic.setdefault(era, Counter())[failure] += 1
            if previous is None:
                first.setdefault(era, Counter())[grade] += 1
                continue
            transitions.setdefault(era, {}).setdefault(_grade(previous), Counter())[grade] += 1
            days = (current.fieldwork_start - previous.occurred_on).days
            intervals.setdefault(_grade(previous), []).append(days)
            by_era.setdefault(_era(previous), {}).setdefault(_grade(previous), []).append(days)
            active_days = OFSTED_PAUSE.active_days(
                previous.occurred_on.toordinal(), current.fieldwork_start.toordinal()
            )
            active.setdefault(f"{_era(previous)}:{_grade(previous)}", []).append(active_days)
            active.setdefault(f"any:{_grade(previous)}", []).append(active_days)
    scenarios = list(scenarios)
    if histories is None:
        histories = {s.council.name: [event.to_fact() for event in s.events] for s in scenarios}
    steps, examples = _dfe_steps(histories)
    samples = {
        **{f"interval:{era}:{grade}": days for era, rows in by_era.items() for grade, days in rows.items()},
        **{f"interval:any:{grade}": days for grade, days in intervals.items()},
        **{f"publication_lag:{era}": days for era, days in lags.items()},
        **{f"fieldwork:{era}": days for era, days in fieldwork.items()},
        **{f"dfe:{step}": days for step, days in steps.items()},
        **{f"active_interval:{key}": days for key, days in active.items()},
        "notice_reviews": _notice_reviews(histories),
        "alternative_delivery_spells": _spells(histories),
    }
    return Calibration(
        transitions={era: _sorted_counts(rows) for era, rows in sorted(transitions.items())},
        first_grades={era: dict(sorted(c.items())) for era, c in sorted(first.items())},
        intervals=_spreads(intervals),
        intervals_by_era={era: _spreads(rows) for era, rows in sorted(by_era.items())},
        publication_lag=_spreads(lags),
        dfe_lags=_spreads(steps),
        dfe_examples={step: examples[step] for step in sorted(examples)},
        samples={key: sorted(samples[key]) for key in sorted(samples)},
        systemic={era: dict(sorted(counts.items())) for era, counts in sorted(systemic.items())},
        recommendations=_recommendations(histories),
    )  # fmt: skip


def _sorted_counts(rows: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {grade: dict(sorted(counts.items())) for grade, counts in sorted(rows.items())}


def _era(inspection: InspectionPublished) -> str:
    return ERAS[inspection.resolved_framework.value]


def _grade(inspection: InspectionPublished) -> str:
    overall = inspection.judgements.overall
    if inspection.resolved_framework is Framework.ilacs_2026 or overall is None:
        return "ungraded"
    return overall.value


def _spreads(samples: dict[str, list[int]]) -> dict[str, Spread]:
    return {key: spread for key in sorted(samples) if (spread := Spread.of(samples[key])) is not None}


_RECOVERED = ("requires_improvement", "good", "outstanding")

# DfE steps: (name, the fact that starts the clock, the fact that stops it); patterns are field: value pairs.
_STEPS: tuple[tuple[str, dict[str, Any], dict[str, Any]], ...] = (
    ("inadequate_to_instrument", {"type": "inspection_published", "overall": "inadequate"},
     {"type": ("improvement_notice_issued", "statutory_direction_issued", "commissioner_appointed")}),
    ("commissioner_to_report", {"type": "statutory_direction_issued", "commissioner_review": True},
     {"type": "commissioner_reported"}),
    ("report_to_alternative_delivery_decided", {"type": "commissioner_reported"},
     {"type": "alternative_delivery_decided"}),  # DFE-03b
    ("alternative_delivery_decided_to_live", {"type": "alternative_delivery_decided"},
     {"type": "alternative_delivery_live"}),
    ("recovery_to_notice_lifted", {"type": "inspection_published", "overall": _RECOVERED},
     {"type": "improvement_notice_lifted"}),
    ("recovery_to_direction_revoked", {"type": "inspection_published", "overall": _RECOVERED},
     {"type": "statutory_direction_revoked"}),
)  # fmt: skip


def _dfe_steps(histories: Mapping[str, Sequence[Fact]]) -> tuple[dict[str, list[int]], dict[str, list[str]]]:
    steps: dict[str, list[int]] = {}
    examples: dict[str, list[str]] = {}
    for council in sorted(histories):
        facts = histories[council]
        for name, start, stop in _STEPS:
            for days in _lags(facts, start, stop):
                steps.setdefault(name, []).append(days)
                examples.setdefault(name, []).append(f"{council}: {days}")
    return steps, examples


def _record_end(histories: Mapping[str, Sequence[Fact]]) -> dt.date:
    return max((fact.occurred_on for facts in histories.values() for fact in facts), default=dt.date(2000, 1, 1))


def _spans(
    histories: Mapping[str, Sequence[Fact]], opens: type[Fact], closes: tuple[type[Fact], ...]
) -> Iterator[tuple[dt.date, Fact | None]]:
    """Each span on record from a fact of type `opens` to the next of `closes` (None: still open at the end)."""
    for council in sorted(histories):
        begun: dt.date | None = None
        for fact in histories[council]:
            if isinstance(fact, opens) and begun is None:
                begun = fact.occurred_on
            elif begun is not None and isinstance(fact, closes):
                yield begun, fact
                begun = None
        if begun is not None:
            yield begun, None


def _notice_reviews(histories: Mapping[str, Sequence[Fact]]) -> list[int]:
    """DFE-05/DFE-04: per improvement notice on record, its six-monthly reviews x 2 + 1 if it ended in a direction
    or a commissioner (escalation), + 0 if it was lifted or is still open at the end of the record."""
    end, found = _record_end(histories), []
    closes = (ImprovementNoticeLifted, StatutoryDirectionIssued, CommissionerAppointed)
    for issued, ended in _spans(histories, ImprovementNoticeIssued, closes):
        escalated = ended is not None and not isinstance(ended, ImprovementNoticeLifted)
        found.append(months_between(issued, ended.occurred_on if ended else end) // 6 * 2 + escalated)
    return found


def _spells(histories: Mapping[str, Sequence[Fact]]) -> list[int]:
    """DFE-07: per spell of services out of the council on record, its days: negative when services came back,
    positive when still out at the end of the record."""
    end = _record_end(histories)
    return [
        -max(1, (ended.occurred_on - live).days) if ended else max(1, (end - live).days)
        for live, ended in _spans(histories, AlternativeDeliveryLive, (AlternativeDeliveryEnded,))
    ]


def _lags(facts: Sequence[Fact], start: dict[str, Any], stop: dict[str, Any]) -> list[int]:
    """Days from each fact matching `start` to the first later (or same-day) fact matching `stop`."""
    found = []
    for i, fact in enumerate(facts):
        if not _matches(fact, start):
            continue
        later = next((other for other in facts[i + 1 :] if _matches(other, stop)), None)
        if later is None or any(_matches(between, start) for between in facts[i + 1 : facts.index(later)]):
            continue
        found.append((later.occurred_on - fact.occurred_on).days)
    return found


def _matches(fact: Fact, pattern: dict[str, Any]) -> bool:
    values = fact.model_dump(mode="json")
    if isinstance(fact, InspectionPublished):
        values["overall"] = fact.judgements.overall.value if fact.judgements.overall else None
    for key, wanted in pattern.items():
        allowed = wanted if isinstance(wanted, tuple) else (wanted,)
        if values.get(key) not in allowed:
            return False
    return True


def _recommendations(histories: Mapping[str, Sequence[Fact]]) -> dict[str, int]:
    """What commissioners recommended in the real cases (DFE-06), by recommendation."""
    found: Counter[str] = Counter()
    for facts in histories.values():
        for fact in facts:
            if isinstance(fact, CommissionerReported):
                found[fact.recommendation.value] += 1
    return dict(sorted(found.items()))
