"""DfE intervention before November 2013: the DfE intervenes in every inadequate council, case by case.

Source: Lords Hansard 18 Nov 2013 ("five local authorities under statutory direction, and 20 subject to
improvement notices"); Lord Nash written answer HL1076 (31 Jul 2017); RULES.md DFE-01, DFE-02, DFE-05, DFE-10.
The engine's earliest regime: it applies to every date before November 2013 (then `dfe_2013_11`), including the
notices of the 2000s (Surrey's of 2008, lifted in 2010, was followed by support and supervision as DFE-08
describes). No published rule chose between a notice and a direction, so either meets the expectation (DFE-02).
"""

from __future__ import annotations

import datetime as dt

from .dfe_intervention import DfEInterventionPolicy, DfERegime

REGIME = DfERegime(
    version="dfe-2013",
    in_force_from=dt.date(2000, 1, 1),
    source="Lords Hansard 18 Nov 2013; HL1076 (31 Jul 2017); RULES.md DFE-02",
)

POLICY = DfEInterventionPolicy(REGIME)
