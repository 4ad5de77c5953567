"""ILACS (inspection of local authority children's services), fieldwork from 1 January 2018.

Source: Ofsted, *Inspecting local authority children's services* (first published November 2017, in force January
2018, revised September 2018 and April 2019). Rules: ILACS-01..04, ILACS-08 ("up to six quarterly monitoring
visits"; the 2016 minimum of four is kept as the expectation), ILACS-09 (re-inspection is a standard inspection
from September 2018), ILACS-11 (help and protection inadequate forces overall inadequate).
"""

from __future__ import annotations

from ..facts import Framework
from .inspection_framework import InspectionFramework, key_judgements_all_inadequate, overall_is_inadequate

FRAMEWORK = InspectionFramework(
    version="ilacs-2018",
    framework=Framework.ilacs_2018,
    source="Ofsted, Inspecting local authority children's services (Nov 2017, in force Jan 2018); RULES.md ILACS-01",
    is_inadequate=overall_is_inadequate,
    is_systemic=key_judgements_all_inadequate,
    minimum_monitoring_visits=4,
)
