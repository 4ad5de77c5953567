"""Simulation: calibration on the real record, the world model, branches, comparisons and Monte Carlo."""

from .backtest import Backtest, backtest
from .branch import Branch, BranchRun, branch
from .calibration import Calibration, calibrate
from .compare import Comparison, compare
from .counterfactual import Counterfactual, counterfactual
from .montecarlo import Projection, simulate
from .outcomes import ScriptedInspection
from .record import RealRecord
from .sweep import Sweep, sweep
from .world import WorldModel, WorldSwitches

__all__ = [
    "Backtest",
    "Branch",
    "BranchRun",
    "Calibration",
    "Comparison",
    "Counterfactual",
    "Projection",
    "RealRecord",
    "ScriptedInspection",
    "Sweep",
    "WorldModel",
    "WorldSwitches",
    "backtest",
    "branch",
    "calibrate",
    "compare",
    "counterfactual",
    "simulate",
    "sweep",
]
