"""Inspection frameworks by era: which one a report was made under.

One module per framework (`pre_sif`, `sif_2013`, `ilacs_2018`, `ilacs_2023`, `ilacs_2026`) defines a
`FRAMEWORK` (an `inspection_framework.InspectionFramework`); `framework_of_fact` picks a report's own, or the one in
force when its fieldwork began (ILACS-01: fieldwork, not publication, decides), by the era start dates that also
validate each report's judgements in `facts.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..facts import Framework, InspectionPublished
from . import ilacs_2018, ilacs_2023, ilacs_2026, pre_sif, sif_2013
from .inspection_framework import InspectionFramework as InspectionFramework


def all_frameworks() -> dict[Framework, InspectionFramework]:
    modules = (pre_sif, sif_2013, ilacs_2018, ilacs_2023, ilacs_2026)
    return {module.FRAMEWORK.framework: module.FRAMEWORK for module in modules}


def framework_of_fact(fact: InspectionPublished) -> InspectionFramework:
    """The framework a report was made under: its own, or the one in force when its fieldwork began."""
    return all_frameworks()[fact.resolved_framework]


def framework_of(inspection: Mapping[str, Any]) -> InspectionFramework:
    """The framework of a recorded inspection (as stored on the Council aggregate)."""
    return all_frameworks()[Framework(inspection["framework"])]
