"""Putting Children First (July 2016): the persistent-or-systemic decision tree, in force from 4 July 2016.

Source: DfE, *Putting children first: delivering our vision for excellent children's social care* (July 2016);
NAO, *Children in need of help or protection* (HC 723, 12 Oct 2016) flowchart; Lord Nash PQ answer 11 Apr 2016.
RULES.md DFE-03: persistent (inadequate more than once within five years) or systemic (every key judgement
inadequate) failure → statutory direction with a commissioner; otherwise an improvement notice with an adviser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dfe_2015 import REGIME as PREVIOUS
from .dfe_intervention import DfEInterventionPolicy

REGIME = dataclasses.replace(
    PREVIOUS,
    version="dfe-2016-07",
    in_force_from=dt.date(2016, 7, 4),
    source="DfE Putting children first (Jul 2016); NAO HC 723 (Oct 2016); RULES.md DFE-03",
    decides_track=True,
)

POLICY = DfEInterventionPolicy(REGIME)
