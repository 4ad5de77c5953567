"""An inadequate judgement while the council is already intervened in: escalation where the failure calls for a
commissioner and none is in place (DFE-03, DFE-04), otherwise the continuation of what is open (DFE-08)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intervention_engine import InterventionEngine
from policy_council import D, deviations, expectations, inadequate, policy_engine, record

from factories import inspection

CONTINUES = "intervention_continues"


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()


def in_trust(engine: InterventionEngine) -> None:
    """Sandwell's path: systemic 2015, commissioner, imposed trust decided 2016 and live 1 April 2018."""
    inadequate(engine, D(2015, 6, 5), systemic=True)
    record(engine, "statutory_direction_issued", D(2015, 12, 14), commissioner_review=True)
    record(engine, "commissioner_reported", D(2016, 6, 10), recommendation="alternative_delivery")
    record(engine, "alternative_delivery_decided", D(2016, 10, 6), form="imposed_trust")
    record(engine, "alternative_delivery_live", D(2018, 4, 1))


def test_dfe08_inadequate_while_services_are_in_a_trust_expects_the_trust_and_its_direction_to_continue(
    engine: InterventionEngine,
) -> None:
    in_trust(engine)
    inadequate(engine, D(2020, 1, 29))  # persistent: 2015-06-05 is within five years
    found = expectations(engine)
    assert set(found) == {CONTINUES}
    continues = found[CONTINUES]
    assert (continues["rule_id"], continues["policy_version"], continues["due_on"]) == ("DFE-08", "dfe-2016-07", None)
    assert continues["expected"] == (
        "services kept in alternative delivery, under direction, until a report no longer inadequate "
        "(persistent failure: inadequate twice within five years)"
    )
    engine.advance_to(D(2030, 1, 1))  # no deadline: doing nothing new is no deviation
    assert [d for d in deviations(engine) if d["rule_id"] == "DFE-08"] == []


def test_dfe08_services_returned_to_the_council_while_inadequate_contradicts_the_continuation(
    engine: InterventionEngine,
) -> None:
    in_trust(engine)
    inadequate(engine, D(2020, 1, 29))
    record(engine, "alternative_delivery_ended", D(2021, 4, 1))
    [deviation] = [d for d in deviations(engine) if d["rule_id"] == "DFE-08"]
    assert (deviation["kind"], deviation["how"], deviation["occurred_on"]) == (CONTINUES, "contradicted", "2021-04-01")
    assert deviation["happened"] == "alternative delivery ended"


def test_dfe08_the_direction_revoked_while_services_are_in_a_trust_and_inadequate_contradicts_the_continuation(
    engine: InterventionEngine,
) -> None:
    in_trust(engine)
    inadequate(engine, D(2020, 1, 29))
    record(engine, "statutory_direction_revoked", D(2021, 4, 1))
    [deviation] = [d for d in deviations(engine) if d["rule_id"] == "DFE-08"]
    assert (deviation["kind"], deviation["how"], deviation["occurred_on"]) == (CONTINUES, "contradicted", "2021-04-01")
    assert deviation["happened"] == "statutory direction revoked"


def test_dfe08_the_next_better_report_withdraws_the_continuation(engine: InterventionEngine) -> None:
    in_trust(engine)
    inadequate(engine, D(2020, 1, 29))
    engine.record("382", inspection(D(2022, 3, 1), "requires_improvement"))
    assert CONTINUES not in expectations(engine)
    record(engine, "alternative_delivery_ended", D(2023, 4, 1))  # Slough's return, after recovery
    assert [d for d in deviations(engine) if d["rule_id"] == "DFE-08"] == []


@pytest.mark.parametrize(
    ("commissioner_review", "kind", "rule"),
    [(True, CONTINUES, "DFE-08"), (False, "direction_with_commissioner", "DFE-03")],
    ids=["commissioner-led: continues", "adviser-led: escalates"],
)
def test_inadequate_again_under_a_direction(
    engine: InterventionEngine, commissioner_review: bool, kind: str, rule: str
) -> None:
    inadequate(engine, D(2017, 4, 7))
    record(engine, "statutory_direction_issued", D(2017, 9, 12), commissioner_review=commissioner_review)
    if commissioner_review:
        record(engine, "commissioner_reported", D(2017, 12, 12), recommendation="retain_with_partner")
    inadequate(engine, D(2019, 4, 1))  # persistent
    found = expectations(engine)
    assert set(found) == {kind}
    assert (found[kind]["rule_id"], found[kind]["policy_version"]) == (rule, "dfe-2016-07")


def test_dfe08_a_direction_revoked_while_inadequate_contradicts_the_continuation(engine: InterventionEngine) -> None:
    inadequate(engine, D(2017, 4, 7), systemic=True)
    record(engine, "statutory_direction_issued", D(2017, 4, 7), commissioner_review=True)
    inadequate(engine, D(2019, 4, 1))
    assert expectations(engine)[CONTINUES]["expected"].startswith(
        "the statutory direction kept in force until a report no longer inadequate"
    )
    record(engine, "statutory_direction_revoked", D(2019, 9, 30))
    [deviation] = deviations(engine)
    assert (deviation["kind"], deviation["rule_id"], deviation["how"]) == (CONTINUES, "DFE-08", "contradicted")


def test_dfe03_persistent_failure_under_a_notice_escalates_to_a_commissioner(engine: InterventionEngine) -> None:
    # Bradford's shape: a notice after a first, non-systemic inadequate; inadequate again within five years.
    inadequate(engine, D(2018, 10, 15))
    record(engine, "improvement_notice_issued", D(2018, 11, 1))
    inadequate(engine, D(2021, 7, 1))
    found = expectations(engine)
    assert set(found) == {"direction_with_commissioner"}
    assert (found["direction_with_commissioner"]["rule_id"], found["direction_with_commissioner"]["due_on"]) == (
        "DFE-03", "2022-01-01"
    )  # fmt: skip
    record(engine, "statutory_direction_issued", D(2021, 9, 15), commissioner_review=True)
    assert deviations(engine) == []


@pytest.mark.parametrize(
    ("then", "how"),
    [
        ({"type": "improvement_notice_lifted"}, "contradicted"),
        ({"type": "statutory_direction_issued", "commissioner_review": False}, "met"),
    ],
    ids=["lifted-while-inadequate", "escalated-to-a-direction"],
)
def test_dfe08_a_notice_outliving_its_five_years_continues_or_escalates(
    engine: InterventionEngine, then: dict[str, object], how: str
) -> None:
    # A notice from a 2013 failure still open when Ofsted finds a first-in-five-years, non-systemic failure in 2018.
    inadequate(engine, D(2013, 5, 1))
    record(engine, "improvement_notice_issued", D(2013, 6, 1))
    inadequate(engine, D(2018, 5, 2))  # 2013-05-01 is five years and a day earlier: not persistent
    continues = expectations(engine)[CONTINUES]
    assert (continues["rule_id"], continues["due_on"]) == ("DFE-08", None)
    assert continues["expected"] == (
        "the improvement notice kept, or a stronger instrument, until a report no longer inadequate "
        "(first inadequate judgement, not systemic)"
    )
    engine.record("382", {**then, "occurred_on": "2018-09-03"})
    assert CONTINUES not in expectations(engine)
    assert [(d["kind"], d["how"]) for d in deviations(engine)] == ([(CONTINUES, how)] if how == "contradicted" else [])
