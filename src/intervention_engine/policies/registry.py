"""Which policies are in force on a date (DESIGN decision 8): a fact is judged by the rules of its own day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .inspection_cycle import InspectionCyclePolicy
from .reactions import Policy


class PolicyRegistry:
    """Policy eras, each a start date and the policies in force from then until the next era starts."""

    def __init__(self, eras: Sequence[tuple[dt.date, Sequence[Policy]]]) -> None:
        if not eras:
            raise ValueError("a policy registry needs at least one era")
        self._eras = sorted(eras, key=lambda era: era[0])

    def in_force(self, day: dt.date) -> Sequence[Policy]:
        chosen: Sequence[Policy] = ()
        for start, policies in self._eras:
            if start <= day:
                chosen = policies
        return chosen

    def versions(self) -> list[str]:
        return sorted({policy.version for _, policies in self._eras for policy in policies})


def default_registry() -> PolicyRegistry:
    """The policies the engine applies unless told otherwise."""
    return PolicyRegistry([(dt.date.min, [InspectionCyclePolicy()])])
