"""What one run adds up over every council, on the sample dates and in total (the kernel fills it, `montecarlo.py`
reads it): councils in each stage and in each readout (`READOUTS`: what the backtest and the projection read besides
the stage), councils judged inadequate per calendar year, days in intervention, and the simulated facts of the
world model's dynamics (`EVENTS`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..policies.rulebook import STAGES
from .outcomes import GRADES

# What the backtest and the projection read on each sample date besides the stage (a council may be in several).
READOUTS: tuple[str, ...] = (
    "judged_inadequate", "improvement_notice", "statutory_direction", "alternative_delivery",
    *(f"ungraded_worst_{grade}" for grade in GRADES),
)  # fmt: skip


@dataclass
class RunTally:
    """What one run adds up over every council: made from its sample dates and years alone, every count starting at
    zero (the kernel adds to them), so no caller can start it with counts that do not fit its dates."""

    samples: list[int]  # ordinals of the sample dates
    first_year: int
    years: int
    stage_diff: list[int] = field(init=False)  # (sample, stage) differences, flattened
    inadequate_by_year: list[int] = field(init=False)
    readout_diff: list[int] = field(init=False)  # (sample, readout) differences, flattened
    intervention_days: int = field(init=False, default=0)
    councils_in_intervention: int = field(init=False, default=0)
    alternative_delivery_live: int = field(init=False, default=0)
    events: list[int] = field(init=False)  # EVENTS order

    def __post_init__(self) -> None:
        self.stage_diff = [0] * ((len(self.samples) + 1) * len(STAGES))
        self.readout_diff = [0] * ((len(self.samples) + 1) * len(READOUTS))
        self.inadequate_by_year = [0] * self.years
        self.events = [0] * len(EVENTS)

    def stage_counts(self) -> list[list[int]]:
        """Councils in each stage on each sample date."""
        return _running(self.stage_diff, len(STAGES), len(self.samples))

    def readout_counts(self) -> list[list[int]]:
        """Councils in each readout (`READOUTS`) on each sample date."""
        return _running(self.readout_diff, len(READOUTS), len(self.samples))


# Simulated facts counted per run: the new dynamics' own (world.WorldSwitches).
EVENTS: tuple[str, ...] = (
    "monitoring_visits", "focused_visits", "progress_reviews", "insufficient_progress", "services_returned",
)  # fmt: skip
MONITORING_VISITS, FOCUSED_VISITS, PROGRESS_REVIEWS, INSUFFICIENT_PROGRESS, SERVICES_BACK = range(len(EVENTS))


def _running(diff: list[int], width: int, samples: int) -> list[list[int]]:
    counts, running = [], [0] * width
    for sample in range(samples):
        row = diff[sample * width : (sample + 1) * width]
        running = [a + b for a, b in zip(running, row, strict=True)]
        counts.append(running)
    return counts
