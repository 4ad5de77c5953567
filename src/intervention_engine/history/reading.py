"""Readings of a research note's free-text `detail`: what a direction, a report or a decision says in words.

Research timelines and the DfE register say some things only in prose. Each reading is one keyword rule over the
case-folded text, documented on its function; the rules were written from the wording of
`../shared/data/timelines/*.yaml` and `dfe_interventions.csv`, and tested with phrases for and against.
"""

from __future__ import annotations

import re

from ..facts import DeliveryForm, Grade, ProgressOutcome, Recommendation

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8}


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text.casefold()) is not None


def direction_appoints_commissioner(detail: str) -> bool:
    """A direction appoints a commissioner when its text names one (DFE-03, DFE-06): "commissioner", "commissioners".

    "Direction to work with an improvement adviser" does not; "no commissioner" says it does not either.
    """
    return _has(detail, r"\bcommissioners?\b") and not _has(detail, r"\b(no|without( a)?) commissioner")


_COMMISSIONER_GOES = (
    r"commissioners?('s)?( role| oversight)? (is |was |are |were )?(withdrawn|stood down|stands? down|ends?\b|ended|"
    r"leaves?\b|left\b|removed)|commissioner[^.;]*\bno longer (required|needed)|without (a )?commissioner"
)
_COMMISSIONER_STAYS = (
    r"commissioners?('s role)?( [a-z]+){0,2}? (continu\w*|remain\w*|stay\w*|(is |was )?re-?appointed|oversee\w*|"
    r"will (continue|remain|stay|oversee))|(continu\w*|remain\w*) (as )?commissioner|commissioner oversight continues|"
    r"\bre-?appointed\b|(co-?operate|comply) with[^.;]*commissioner|appoint\w*[^.;]*commissioner|"
    r"commissioners?'?s? appointment"
)


def revision_keeps_commissioner(detail: str) -> bool:
    """A revised direction keeps the commissioner when its text says the commissioner goes on (DFE-06):
    "commissioner (Name) continues / remains / stays / is re-appointed / oversees", "continuing commissioner",
    "<name> reappointed", "co-operate with / comply with ... the commissioner", "appoints a new commissioner".

    A commissioner "withdrawn / stood down / ends / leaves / removed", "commissioner oversight no longer required",
    or a revision that names no commissioner (a direction to work with a partner council, say) does not keep one.
    """
    return not _has(detail, _COMMISSIONER_GOES) and _has(detail, _COMMISSIONER_STAYS)


_DECLINED = (
    r"no longer needs? to be a consideration|\bnot (be )?removed|\bno (valid reason|need|case)\b[^.;]*alternative|"
    r"\bno (move to )?alternative delivery|\b(keeps?|retains?|retain) (its )?(control|services)|should (retain|keep)|"
    r"stays? with (the )?council"
)


def recommendation_of(detail: str) -> str:
    """What a commissioner's report recommends (DFE-06, DFE-07):

    - `alternative_delivery` when it speaks of a trust, alternative delivery, services "removed" or "removal from"
      the council, unless it declines that ("no longer needs to be a consideration", "no alternative delivery",
      "council keeps / retains control", "should retain", "stay with the council");
    - `retain_with_partner` when the council keeps its services with a partner ("partner", "partnership");
    - `retain` otherwise (the council keeps its services).
    """
    declined = _has(detail, _DECLINED)
    if not declined and _has(detail, r"\btrusts?\b|alternative delivery|\bremoved\b|removal from"):
        return Recommendation.alternative_delivery.value
    if _has(detail, r"\bpartner(ship)?s?\b"):
        return Recommendation.retain_with_partner.value
    return Recommendation.retain.value


def delivery_form_of(detail: str) -> str:
    """The form of alternative delivery a decision names (DFE-07), first rule that applies:

    - `imposed_trust`: "independent trust", "imposed", "removed from (the) council";
    - `council_company`: "company", "council-owned" / "council owned" (also "wholly council-owned trust");
    - `partner_council`: "partner council", "another council", "neighbouring council", "partnership with <Name>
      (City/County/Borough) Council";
    - `partnership_trust` otherwise (a trust set up with the council's agreement, the common case).
    """
    if _has(detail, r"independent( not-for-profit)? trust|\bimposed\b|removed from (the )?council"):
        return DeliveryForm.imposed_trust.value
    if _has(detail, r"\bcompany\b|council[- ]owned"):
        return DeliveryForm.council_company.value
    if _has(detail, r"partner council|another council|neighbouring council|partnership with [\w ]+? council\b"):
        return DeliveryForm.partner_council.value
    return DeliveryForm.partnership_trust.value


def visit_number_of(detail: str) -> int | None:
    """The number of a monitoring visit from its opening ordinal (ILACS-08): "Sixth and final monitoring visit" → 6."""
    words = detail.casefold().split()
    return _ORDINALS.get(words[0]) if words else None


def progress_outcome_of(detail: str) -> str:
    """A DfE progress review's outcome (DFE-04, DFE-05): `insufficient` when the text says "insufficient",
    "not sufficient", "inadequate progress", "too slow" or "lack of progress"; `sufficient` otherwise."""
    pattern = r"insufficient|not sufficient|inadequate progress|too slow|lack of progress|not made (enough )?progress"
    return ProgressOutcome.insufficient.value if _has(detail, pattern) else ProgressOutcome.sufficient.value


def priority_actions_in(detail: str) -> bool:
    """A focused visit found areas for priority action (ILACS-06) when its text says "priority action" and not
    "no priority action(s)" / "no areas for priority action"."""
    return _has(detail, r"priority action") and not _has(detail, r"\bno (areas for )?priority action")


def overall_grade_of(detail: str) -> tuple[str, bool] | None:
    """The overall grade a judgement's text states, and whether it was the pre-SIF "adequate" (ILACS-01).

    The pre-SIF scale was outstanding / good / adequate / inadequate: "adequate" is read as requires_improvement
    (the grade that replaced it) and flagged so the importer can say so. The first grade word in the text wins;
    None when it states none.
    """
    found = re.search(r"\b(outstanding|good|inadequate|adequate|requires improvement)\b", detail.casefold())
    if found is None:
        return None
    word = found.group(1)
    if word == "adequate":
        return Grade.requires_improvement.value, True
    return word.replace(" ", "_"), False
