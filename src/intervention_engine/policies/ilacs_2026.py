"""ILACS as revised from 1 April 2026: no overall-effectiveness judgement; four judgements remain.

Source: Ofsted press notice of 27 November 2025, "Ofsted confirms removal of headline judgement for inspections of
local authorities' children's services"; in force for fieldwork from 1 April 2026 (ILACS-01).

What counts as *inadequate* without an overall grade is not published (ILACS-12, confidence low). This module
names its assumption, `impact_of_leaders_or_help_and_protection_inadequate`, mirroring ILACS-11; replace it with
`dataclasses.replace(FRAMEWORK, is_inadequate=...)` in a what-if. Every timer and expectation it produces carries
the policy version `ilacs-2026`, so results that rest on the assumption can be told apart.
"""

from __future__ import annotations

from ..facts import Framework, Grade, Judgements
from .inspection_framework import InspectionFramework, key_judgements_all_inadequate

ASSUMPTION = "ILACS-12: inadequate = impact of leaders or help and protection inadequate"


def impact_of_leaders_or_help_and_protection_inadequate(judgements: Judgements) -> bool:
    """ILACS-12 default: leaders or help and protection judged inadequate."""
    return Grade.inadequate in (judgements.leadership, judgements.help_and_protection)


FRAMEWORK = InspectionFramework(
    version="ilacs-2026",
    framework=Framework.ilacs_2026,
    source="Ofsted press notice 27 Nov 2025 (headline judgement removed from 1 Apr 2026); RULES.md ILACS-01, ILACS-12",
    is_inadequate=impact_of_leaders_or_help_and_protection_inadequate,
    is_systemic=key_judgements_all_inadequate,
    minimum_monitoring_visits=4,
    assumption=ASSUMPTION,
)
