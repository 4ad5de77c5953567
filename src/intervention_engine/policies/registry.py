"""Which policies are in force on a date (DESIGN decision 8): a fact is judged by the rules of its own day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from . import dfe_2013, dfe_2013_11, dfe_2015, dfe_2016, dfe_2022, dfe_2026
from .inspection_cycle import InspectionCyclePolicy
from .reactions import Policy

DFE_REGIMES = (dfe_2013.POLICY, dfe_2013_11.POLICY, dfe_2015.POLICY, dfe_2016.POLICY, dfe_2022.POLICY, dfe_2026.POLICY)


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

    def with_era(self, start: dt.date, policies: Sequence[Policy]) -> PolicyRegistry:
        """These eras and one more from `start` (a new regime, for what-ifs and users' own policies)."""
        return PolicyRegistry([*self._eras, (start, policies)])


def default_registry() -> PolicyRegistry:
    """The policies in force in the real world: Ofsted's inspection cycle and the DfE regime of each era.

    Before the first DfE regime (January 2013) only the inspection cycle applies.
    """
    cycle = InspectionCyclePolicy()
    eras: list[tuple[dt.date, Sequence[Policy]]] = [(dt.date.min, [cycle])]
    eras += [(policy.regime.in_force_from, [cycle, policy]) for policy in DFE_REGIMES]
    return PolicyRegistry(eras)


def registry_with(dfe_version: str) -> PolicyRegistry:
    """A counterfactual registry: one DfE regime applied to every date (for what-if replays)."""
    chosen = {policy.version: policy for policy in DFE_REGIMES}
    if dfe_version not in chosen:
        raise ValueError(f"unknown DfE policy {dfe_version!r}; known: {', '.join(chosen)}")
    return PolicyRegistry([(dt.date.min, [InspectionCyclePolicy(), chosen[dfe_version]])])
