"""The 2022 presumption of removal: in persistent or systemic cases services leave council control.

Source: the Sefton direction as quoted by Community Care, 25 May 2022 ("will be removed from local authority
control ... unless there are compelling reasons not to do so"); RULES.md DFE-03. In force from 25 May 2022, the
earliest date the wording is evidenced (the exact start is not published: low confidence).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dfe_2016 import REGIME as PREVIOUS
from .dfe_intervention import DfEInterventionPolicy

REGIME = dataclasses.replace(
    PREVIOUS,
    version="dfe-2022",
    in_force_from=dt.date(2022, 5, 25),
    source="Sefton direction, Community Care 25 May 2022; RULES.md DFE-03",
    presumption_of_removal=True,
)

POLICY = DfEInterventionPolicy(REGIME)
