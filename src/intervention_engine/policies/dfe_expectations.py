"""What the DfE is expected to do once a council is judged inadequate, as expectations: a direction with a
commissioner (DFE-03), services removed from the council (DFE-03, the 2022 presumption), and what is open kept
open until a report no longer inadequate (DFE-08). `dfe_intervention.py` opens them; missed or contradicted, they
become deviations.
"""

from __future__ import annotations

import datetime as dt

from ..facts import Recommendation
from .reactions import CouncilView, ExpectationRequest

NOTICE = {"type": "improvement_notice_issued"}
DIRECTION = {"type": "statutory_direction_issued"}
DIRECTION_WITH_COMMISSIONER = {"type": "statutory_direction_issued", "commissioner_review": True}
DIRECTION_WITHOUT_COMMISSIONER = {"type": "statutory_direction_issued", "commissioner_review": False}
COMMISSIONER = {"type": "commissioner_appointed"}
ADM_DECIDED = {"type": "alternative_delivery_decided"}


CONTINUES = "intervention_continues"  # DFE-08: what is open stays open until a report no longer inadequate
# Every kind of expectation the DfE policies open, in the order of the regime's steps (`counterfactual --kind`).
EXPECTATION_KINDS = (
    "dfe_intervention", "improvement_notice", "direction_with_commissioner", "direction_after_insufficient_progress",
    "removal_from_council", "alternative_delivery_decided", "alternative_delivery_live", CONTINUES, "notice_lifted",
    "direction_revoked",
)  # fmt: skip


def failure_words(persistent: bool, systemic: bool) -> str:
    """DFE-03 in words: which kinds of failure the judgement shows."""
    parts = ["persistent failure: inadequate twice within five years"] if persistent else []
    parts += ["systemic failure: every key judgement inadequate"] if systemic else []
    return "; ".join(parts) or "first inadequate judgement, not systemic"


def commissioner_in_place(council: CouncilView) -> bool:
    """A commissioner's review or a commissioner-led direction is open, or services are out of the council's hands."""
    instrument, led_by = council.states["instrument"], council.details.get("direction_led_by")
    return (
        council.states["delivery"] != "council"
        or instrument == "commissioner_review"
        or (instrument == "statutory_direction" and led_by == "commissioner")
    )


def intervened(council: CouncilView) -> bool:
    return council.states["delivery"] != "council" or council.states["instrument"] != "none"


def continuation_expected(council: CouncilView, why: str) -> ExpectationRequest:
    """DFE-08 (with DFE-01: a direction stays until revoked; DFE-05: a notice until no longer required): inadequate
    again, the council keeps what is open until a report no longer inadequate. No deadline: only ending it early
    (lifting, revoking, services back with the council) contradicts it; the next better report withdraws it."""
    until = "until a report no longer inadequate"
    if council.states["delivery"] != "council":
        return ExpectationRequest(
            CONTINUES, "DFE-08", f"services kept in alternative delivery, under direction, {until} ({why})", None,
            meets=(), contradicts=({"type": "alternative_delivery_ended"}, {"type": "statutory_direction_revoked"}),
        )  # fmt: skip
    if council.states["instrument"] == "improvement_notice":
        return ExpectationRequest(
            CONTINUES, "DFE-08", f"the improvement notice kept, or a stronger instrument, {until} ({why})", None,
            meets=(DIRECTION, COMMISSIONER, ADM_DECIDED), contradicts=({"type": "improvement_notice_lifted"},),
        )  # fmt: skip
    return ExpectationRequest(
        CONTINUES, "DFE-08", f"the statutory direction kept in force {until} ({why})", None,
        meets=(), contradicts=({"type": "statutory_direction_revoked"},),
    )  # fmt: skip


def commissioner_expected(why: str, rule: str, due: dt.date, *, published: bool) -> ExpectationRequest:
    """A direction with a commissioner, or alternative delivery. Where only the record (DFE-03 validation), not a
    published rule, says so, a weaker instrument contradicts nothing: a commissioner may still follow it in time."""
    return ExpectationRequest(
        "direction_with_commissioner", rule, f"a statutory direction with a commissioner ({why})", due,
        meets=(DIRECTION_WITH_COMMISSIONER, COMMISSIONER, ADM_DECIDED),
        contradicts=(NOTICE, DIRECTION_WITHOUT_COMMISSIONER) if published else (),
    )  # fmt: skip


def removal_expected(why: str, due: dt.date) -> ExpectationRequest:
    retained = tuple(
        {"type": "commissioner_reported", "recommendation": r.value}
        for r in Recommendation
        if r.value != "alternative_delivery"
    )
    return ExpectationRequest(
        "removal_from_council", "DFE-03",
        f"services removed from council control unless there are compelling reasons ({why}; 2022 presumption)",
        due, meets=(ADM_DECIDED,), contradicts=retained,
    )  # fmt: skip
