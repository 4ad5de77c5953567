"""intervention_engine: an event-sourced workflow engine for the DfE intervention regime in children's services.

The public API, re-exported explicitly. Build an engine with `build_engine(Settings(...), clock=...)`.

The errors and clocks are imported with the package; everything else when it is first used (PEP 562), so that
`import intervention_engine.cli` (the command line's `--help` and `--version`) loads no engine, pydantic, numpy
or matplotlib.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .clock import Clock, SystemClock, VirtualClock
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

if TYPE_CHECKING:
    from .bootstrap import build_engine
    from .calendar import WorkingDayCalendar, add_months
    from .engine import CouncilStatus, InterventionEngine, Recorded, TimelineEntry, TimerFiring
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

_SIMULATION = ("Branch", "Comparison", "Projection", "RealRecord", "WorldModel", "backtest", "branch", "counterfactual")
_LAZY = {
    "simulate": ".simulation",
    "build_engine": ".bootstrap",
    **dict.fromkeys(("WorkingDayCalendar", "add_months"), ".calendar"),
    **dict.fromkeys(("CouncilStatus", "InterventionEngine", "Recorded", "TimelineEntry", "TimerFiring"), ".engine"),
    **dict.fromkeys(("AnyFact", "Fact", "parse_fact"), ".facts"),
    "RecordCommand": ".persistence.unit_of_work",
    "DueTimer": ".persistence.council_index",
    "NationalCount": ".projections.national",
    "Settings": ".settings",
    **dict.fromkeys(
        (
            "Branch",
            "Comparison",
            "Projection",
            "RealRecord",
            "WorldModel",
            "backtest",
            "branch",
            "counterfactual",
            "simulate",
        ),
        ".simulation",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value  # looked up once
    return value


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
