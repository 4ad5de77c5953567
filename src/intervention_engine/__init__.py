"""intervention_engine: an event-sourced workflow engine for the DfE intervention regime in children's services.

The public API, re-exported explicitly. Build an engine with `build_engine(Settings(...), clock=...)`.
"""

from .bootstrap import build_engine
from .calendar import WorkingDayCalendar, add_months
from .clock import Clock, SystemClock, VirtualClock
from .engine import CouncilStatus, InterventionEngine, Recorded, TimelineEntry, TimerFiring
from .errors import (
    ConfigurationError,
    CouncilAlreadyRegistered,
    CouncilNotFound,
    FactInFuture,
    FactOutOfOrder,
    InterventionError,
    InvalidFact,
    InvalidImport,
    InvalidScenario,
    MoveNotAllowed,
)
from .facts import AnyFact, Fact, parse_fact
from .persistence.council_index import DueTimer
from .persistence.unit_of_work import RecordCommand
from .projections.national import NationalCount
from .settings import Settings
from .simulation import (
    Branch,
    Comparison,
    Projection,
    RealRecord,
    WorldModel,
    backtest,
    branch,
    counterfactual,
    simulate,
)

__all__ = [
    "AnyFact",
    "Branch",
    "Clock",
    "Comparison",
    "ConfigurationError",
    "CouncilAlreadyRegistered",
    "CouncilNotFound",
    "CouncilStatus",
    "DueTimer",
    "Fact",
    "FactInFuture",
    "FactOutOfOrder",
    "InterventionEngine",
    "InterventionError",
    "InvalidFact",
    "InvalidImport",
    "InvalidScenario",
    "MoveNotAllowed",
    "NationalCount",
    "Projection",
    "RealRecord",
    "RecordCommand",
    "Recorded",
    "Settings",
    "SystemClock",
    "TimelineEntry",
    "TimerFiring",
    "VirtualClock",
    "WorkingDayCalendar",
    "WorldModel",
    "add_months",
    "backtest",
    "branch",
    "build_engine",
    "counterfactual",
    "parse_fact",
    "simulate",
]
