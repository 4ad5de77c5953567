"""ILACS as revised from January 2023: a separate judgement on the experiences and progress of care leavers.

Source: Ofsted, "A new judgement for care leavers" (2 December 2022) and the consultation outcome; ILACS framework
versions of April and December 2024 (content not reviewed, ILACS-01). Rules: ILACS-01, ILACS-03, ILACS-11 (an
inadequate care-leavers judgement can carry an overall inadequate). Systemic failure (DFE-03) keeps its key
judgements: help and protection, children in care, leadership.
"""

from __future__ import annotations

from ..facts import Framework
from .inspection_framework import InspectionFramework, key_judgements_all_inadequate, overall_is_inadequate

FRAMEWORK = InspectionFramework(
    version="ilacs-2023",
    framework=Framework.ilacs_2023,
    source="Ofsted, A new judgement for care leavers (2 Dec 2022); RULES.md ILACS-01, ILACS-03",
    is_inadequate=overall_is_inadequate,
    is_systemic=key_judgements_all_inadequate,
    minimum_monitoring_visits=4,
)
