"""An inspection framework as versioned data: what counts as inadequate and as systemic failure in its era.

One module per framework (`pre_sif`, `sif_2013`, `ilacs_2018`, `ilacs_2023`, `ilacs_2026`) defines its
`FRAMEWORK` from the tests here; `framework.py` picks one for a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..facts import Framework, Grade, Judgements

JudgementTest = Callable[[Judgements], bool]


def overall_is_inadequate(judgements: Judgements) -> bool:
    """ILACS-11: before April 2026 the published overall grade decides (never derived in replay)."""
    return judgements.overall is Grade.inadequate


def key_judgements_all_inadequate(judgements: Judgements) -> bool:
    """DFE-03 'systemic': help and protection, children in care and leadership all inadequate."""
    return all(grade is Grade.inadequate for grade in judgements.key_grades())


@dataclass(frozen=True)
class InspectionFramework:
    """One era of Ofsted's inspection of council children's services (ILACS-01)."""

    version: str
    framework: Framework
    source: str
    is_inadequate: JudgementTest
    is_systemic: JudgementTest
    minimum_monitoring_visits: int  # ILACS-08: before re-inspection
    assumption: str | None = None  # a named, replaceable assumption the era rests on (ILACS-12)

    def judges_inadequate(self, inspection: Mapping[str, Any]) -> bool:
        return self.is_inadequate(Judgements.model_validate(inspection["judgements"]))
