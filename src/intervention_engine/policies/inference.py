"""Steps the record implies but does not state (DESIGN decision 12): inferred, marked, never invented silently.

Real records are patchworks: a register lists a commissioner's appointment but not the direction that made it, or
a trust going live but not the decision that created it. In lenient mode (imports of real histories) a fact the
rulebook would refuse is first read against these rules; a rule that fits either records the missing predecessor
on the same day (the earliest the record allows), or reads the fact as what it must have been. Each inferred fact
carries `inferred: true`, the rule that inferred it (`inference`) and the fact that implied it (`implied_by`), with
`confidence: low` (RULES.md conventions: "low = inferred"). Strict mode never infers: it refuses.

INF-01 (DFE-01, DFE-06): a commissioner is appointed under a statutory direction, so a commissioner appointed while
    no direction is open implies a direction with a commissioner review that day.
INF-02 (DFE-06): a commissioner reports under such a direction, so a report with no direction on record implies
    the direction that day, and a report under a direction led by advisers implies a commissioner's appointment.
INF-03 (DFE-07): services go live outside the council only after the Secretary of State decides it, so services
    live with no decision on record imply a decision that day, in the form the live fact gives (else `other`).
INF-04 (DFE-01): a direction "remains in force until revoked", so a direction issued while one is open revises it.
INF-05 (DFE-01): a revision with no direction on record is the only trace of the direction it revises: it is read as
    the direction itself (North East Lincolnshire's revised direction of 2022 in the DfE register).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..facts import (
    AlternativeDeliveryDecided,
    AlternativeDeliveryLive,
    CommissionerAppointed,
    CommissionerReported,
    Confidence,
    DeliveryForm,
    Fact,
    StatutoryDirectionIssued,
)

_DIRECTIONS = ("statutory_direction", "commissioner_review")


@dataclass(frozen=True)
class Inference:
    """What the record implies around a refused fact: predecessors to record first, and the fact as it is read."""

    fact: Fact
    before: tuple[Fact, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.before) or self.fact.inference is not None


def infer(fact: Fact, states: Mapping[str, str], details: Mapping[str, Any]) -> Inference | None:
    """The inference that makes `fact` a legal move from `states` (with the council's `details`), or None when no
    rule fits."""
    instrument, delivery = states.get("instrument"), states.get("delivery")
    no_direction = instrument not in _DIRECTIONS
    if isinstance(fact, CommissionerAppointed) and no_direction:
        return Inference(fact, (_direction(fact, "INF-01 (DFE-01, DFE-06): a commissioner is appointed under a "
                                               "statutory direction"),))  # fmt: skip
    if isinstance(fact, CommissionerReported) and instrument != "commissioner_review":
        why = "INF-02 (DFE-06): a commissioner reports under a direction with a commissioner review"
        if no_direction:
            return Inference(fact, (_direction(fact, why),))
        if details.get("direction_led_by") != "commissioner":
            return Inference(fact, (CommissionerAppointed(**_marks(fact, why)),))
    if isinstance(fact, AlternativeDeliveryLive) and delivery == "council":
        decided = AlternativeDeliveryDecided(
            form=fact.form or DeliveryForm.other,
            provider=fact.provider,
            **_marks(fact, "INF-03 (DFE-07): services go live outside the council after a decision to move them"),
        )
        return Inference(fact, (decided,))
    if isinstance(fact, StatutoryDirectionIssued) and fact.revises_earlier and no_direction:
        why = "INF-05 (DFE-01): a revised direction with no direction on record is read as the direction itself"
        return Inference(fact.model_copy(update={"revises_earlier": False, "inference": why}))
    if isinstance(fact, StatutoryDirectionIssued) and not fact.revises_earlier and not no_direction:
        why = "INF-04 (DFE-01): a direction issued while another is open (in force until revoked) revises it"
        return Inference(fact.model_copy(update={"revises_earlier": True, "inference": why}))
    return None


def _direction(fact: Fact, why: str) -> StatutoryDirectionIssued:
    return StatutoryDirectionIssued(commissioner_review=True, **_marks(fact, why))


def _marks(fact: Fact, why: str) -> dict[str, Any]:
    return {
        "occurred_on": fact.occurred_on,
        "date_precision": fact.date_precision,
        "source": fact.source,
        "provenance": fact.provenance,
        "confidence": Confidence.low,
        "inferred": True,
        "inference": why,
        "implied_by": f"{fact.describe()} on {fact.occurred_on.isoformat()}",
        "simulated": fact.simulated,
    }
