"""What-if over HTTP: fork a council's stored history at a day, change facts or the DfE policy, play it forward
in a sandbox and compare it with the record (DESIGN decision 10; the branches are `simulation.branch`'s).

Nothing is recorded: the branch runs on its own in-memory engine. By default (`keep="all"`) it holds every
baseline fact after the fork less those dropped, plus those added. With `keep="none"` or `"ofsted"` the world
model (`simulation/world.py`) plays what those facts do not say, if the server was given the national Ofsted CSV to
calibrate it on (`INTERVENTION_ENGINE_OFSTED_CSV`); without it the branch holds only the facts given, and the
answer says so (`branch.world` is null). `world: false` asks for no world model; `world: true` insists on one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from ..calendar import add_months
from ..dates import LATEST_DATE, WorldDate
from ..errors import InterventionError
from ..facts import AnyFact
from ..settings import Role
from ..simulation import WorldModel
from ..simulation.branch import branch
from .api import Council
from .auth import Authenticator
from .errors import RECORD_RESPONSES
from .gate import EngineGate

MAX_YEARS = 30  # a branch plays at most this far past its fork: bounded work for one request


class InvalidWhatIf(InterventionError, ValueError):
    """A what-if the engine cannot play (a day before the fork, an unknown policy, a drop with no fact)."""


class DroppedFact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: WorldDate
    type: str = Field(min_length=1, max_length=60)


class WhatIf(BaseModel):
    """A branch of one council's history: where it forks, what it changes, how far it plays."""

    model_config = ConfigDict(extra="forbid")

    at: WorldDate = Field(description="fork at the end of this day")
    until: WorldDate = Field(description=f"play the branch to the end of this day (at most {MAX_YEARS} years on)")
    name: str = Field(default="what-if", min_length=1, max_length=100)
    policy: str | None = Field(default=None, description="one DfE regime for every date, e.g. dfe-2013")
    keep: Literal["none", "ofsted", "all"] = Field(default="all", description="baseline facts kept after the fork")
    add: list[AnyFact] = Field(default_factory=list, max_length=200, description="facts that happen on the branch")
    drop: list[DroppedFact] = Field(default_factory=list, max_length=200, description="baseline facts left out")
    world: bool | None = Field(
        strict=True,
        default=None,
        description="play what the facts given do not say with the calibrated world model (default: when the server "
        "has one and keep is not 'all'; true: refuse without one)",
    )
    seed: int = Field(default=0, ge=0, le=2**32 - 1, strict=True, description="seed of the world model's draws")


def whatif_routes(gate: EngineGate, authenticate: Authenticator, world: WorldModel | None = None) -> APIRouter:
    router = APIRouter(tags=["what-if"])
    reader = Depends(authenticate.requiring(Role.reader))

    @router.post("/councils/{council}/what-if", responses=RECORD_RESPONSES, dependencies=[reader])
    def what_if(council: Council, request: WhatIf) -> dict[str, Any]:
        """Play a branch of the council's history and compare it with the record: stages month by month, months in
        intervention, timers, expectations and deviations on each side. Records nothing."""
        if not request.at <= request.until <= _years_after(request.at):
            raise InvalidWhatIf(f"council {council!r}: `until` must be on or after `at` and within {MAX_YEARS} years")
        played_by = _world_for(council, request, world)
        with gate.read() as engine:
            try:
                made = branch(engine, council, at=request.at, name=request.name, policy=request.policy,
                              keep=request.keep, seed=request.seed, world=played_by)  # fmt: skip
                for dropped in request.drop:
                    made.drop(dropped.on, dropped.type)
                for fact in request.add:
                    made.add(fact)
                run = made.run(request.until)
                comparison = run.compare()
            except InterventionError:
                raise
            except ValueError as refused:  # the simulation's own refusals (an unknown policy, a day out of range)
                raise InvalidWhatIf(f"council {council!r}: {refused}") from None
            try:
                return {"branch": run.to_dict(), "comparison": comparison.to_dict()}
            finally:
                run.engine.close()

    return router


def _world_for(council: str, request: WhatIf, world: WorldModel | None) -> WorldModel | None:
    if request.world is False or (request.world is None and request.keep == "all"):
        return None
    if request.keep == "all":
        raise InvalidWhatIf(f"council {council!r}: keep='all' replays every baseline fact and takes no world model")
    if world is None and request.world:
        raise InvalidWhatIf(
            f"council {council!r}: this server has no world model (start it with INTERVENTION_ENGINE_OFSTED_CSV "
            "naming the national Ofsted CSV to calibrate one)"
        )
    return world


def _years_after(day: dt.date) -> dt.date:
    """MAX_YEARS after `day`, to the day, or the latest date the engine accepts if that comes first."""
    return min(add_months(day, 12 * MAX_YEARS), LATEST_DATE)
