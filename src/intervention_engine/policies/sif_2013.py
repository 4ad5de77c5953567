"""The Single Inspection Framework (SIF), fieldwork from 1 November 2013 to December 2017.

Source: Ofsted, *Inspecting services for children in need of help and protection, children looked after and care
leavers* (SIF handbook, November 2013), and the May 2016 monitoring and re-inspection documents (refs 160035,
160032). Rules: ILACS-01, ILACS-03, ILACS-08 (at least four monitoring visits before re-inspection, 2016 regime),
ILACS-11 (overall inadequate iff a key judgement is inadequate), DFE-03 (systemic = all key judgements inadequate).
"""

from __future__ import annotations

from ..facts import Framework
from .inspection_framework import InspectionFramework, key_judgements_all_inadequate, overall_is_inadequate

FRAMEWORK = InspectionFramework(
    version="sif-2013",
    framework=Framework.sif,
    source="Ofsted SIF handbook (Nov 2013); monitoring of inadequate LAs (May 2016, ref 160035); RULES.md ILACS-01",
    is_inadequate=overall_is_inadequate,
    is_systemic=key_judgements_all_inadequate,
    minimum_monitoring_visits=4,
)
