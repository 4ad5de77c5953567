"""The December 2015 "improve or be taken over" statement, in force from 14 December 2015.

Source: Prime Minister's statement of 14 December 2015 (Family Law Week; LocalGov 14 Dec 2015; CYP Now 5 Jan 2016);
RULES.md DFE-04. An inadequate council must show significant improvement within six months of its inspection or a
commissioner is appointed; persistently failing services are taken over immediately (DFE-04). The diagnostic
review within 3 months and report within 6 months on the improvement track (DFE-05a, seed 001, summarising the NAO
2016 flowchart of this statement) start here. Systemic failure keeps the commissioner the record shows from
November 2013 (`dfe_2013_11`: Sunderland, Sandwell); persistent failure now expects one by DFE-04.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dfe_2013_11 import REGIME as PREVIOUS
from .dfe_intervention import DfEInterventionPolicy

REGIME = dataclasses.replace(
    PREVIOUS,
    version="dfe-2015-12",
    in_force_from=dt.date(2015, 12, 14),
    source="PM statement 14 Dec 2015 (Family Law Week; LocalGov); RULES.md DFE-04, DFE-05a",
    persistent_taken_over=True,
    six_month_rule=True,
    diagnostic_review=True,
)

POLICY = DfEInterventionPolicy(REGIME)
