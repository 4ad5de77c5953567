"""Pre-SIF inspections (to October 2013): safeguarding and looked-after-children inspections, overall grade only.

Source: ILACS-01 (era 1). They start no timers; they count in the five-year look-back for persistent failure
(DFE-03: "counting pre-SIF judgements"). In force for fieldwork before 1 November 2013.
"""

from __future__ import annotations

from ..facts import Framework
from .inspection_framework import InspectionFramework, overall_is_inadequate

FRAMEWORK = InspectionFramework(
    version="pre-sif",
    framework=Framework.pre_sif,
    source="Ofsted safeguarding and looked after children inspections (to 2013); RULES.md ILACS-01",
    is_inadequate=overall_is_inadequate,
    is_systemic=lambda _: False,  # only an overall grade survives: systemic failure cannot be shown
    minimum_monitoring_visits=0,
)
