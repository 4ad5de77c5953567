"""DfE intervention after the April 2026 change to Ofsted's framework: no overall grade to trigger on.

Source: Ofsted press notice 27 Nov 2025; RULES.md ILACS-12 and DFE-10 ("2026-04 (no overall grade: trigger
TBD)"). In force from 1 April 2026. The DfE's rules are those of 2022; what counts as inadequate comes from the
inspection framework of the report (`ilacs_2026`: a named, replaceable assumption), so every timer and expectation
from a post-April-2026 report records this version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dfe_2022 import REGIME as PREVIOUS
from .dfe_intervention import DfEInterventionPolicy

REGIME = dataclasses.replace(
    PREVIOUS,
    version="dfe-2026-04",
    in_force_from=dt.date(2026, 4, 1),
    source="Ofsted press notice 27 Nov 2025; RULES.md ILACS-12, DFE-10",
)

POLICY = DfEInterventionPolicy(REGIME)
