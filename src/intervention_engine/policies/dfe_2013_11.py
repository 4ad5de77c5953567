"""DfE intervention from the Single Inspection Framework (November 2013): what the record shows, not a statement.

No rule was published before *Putting children first* (July 2016), but from the first SIF judgements the DfE sent
a commissioner (or moved services out of the council) wherever failure was systemic (every key judgement
inadequate) or persistent (inadequate again within five years). RULES.md DFE-03, "Validation": Birmingham 2014
(Lord Warner appointed commissioner 27 Mar 2014), Slough 2014 (imposed trust decided 15 Jul 2014), Rotherham 2014
(direction with commissioner Malcolm Newsam 10 Oct 2014), Sunderland 2015 (direction with commissioner Nick
Whitfield the day of the report, 20 Jul 2015), Sandwell 2015 (persistent via its 2013 judgement; commissioner
Eleanor Brazil, Dec 2015); the DfE register (shared/data/dfe_interventions.csv) adds Doncaster 2013 (imposed trust
decided 16 Jul 2013) and Bromley 2016 (commissioner, June 2016). Non-systemic first-time inadequates got
improvement notices (Manchester 2014, Darlington 2015), so DFE-02 ("a notice or a direction") still applies to them.

Why the expectation has no contradicting facts before July 2016: no published rule made a notice or an
adviser-led direction the wrong answer, and the record shows commissioners arriving after a weaker instrument
(Rotherham: a direction, then the commissioner; Sandwell: a 2014 direction, the commissioner in December 2015).
Only the deadline (DFE-03a: six months) decides, so the two systemic cases answered with advisers alone,
Buckinghamshire 2014 (direction of 19 Nov 2014, advisers Red Quadrant) and Somerset 2015 (direction of 6 Nov 2015),
are deviations: the record disagrees with itself there, and the policy follows the majority (medium confidence).
In force from 1 November 2013, the start of SIF fieldwork (ILACS-01), the first framework whose key judgements can
show systemic failure; Lords Hansard 18 Nov 2013 counts five councils under direction and twenty under notices.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .dfe_2013 import REGIME as PREVIOUS
from .dfe_intervention import DfEInterventionPolicy

REGIME = dataclasses.replace(
    PREVIOUS,
    version="dfe-2013-11",
    in_force_from=dt.date(2013, 11, 1),
    source="RULES.md DFE-03 validation (Birmingham, Slough, Rotherham 2014; Sunderland, Sandwell 2015); DfE register",
    commissioner_for_failure=True,
)

POLICY = DfEInterventionPolicy(REGIME)
