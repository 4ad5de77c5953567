"""The keyword readings of free-text `detail`: each rule with phrases it must accept and phrases it must refuse.

The phrases are the research notes' and the DfE register's own wording where there is one.
"""

from __future__ import annotations

import pytest

from intervention_engine.history.reading import (
    delivery_form_of,
    direction_appoints_commissioner,
    overall_grade_of,
    priority_actions_in,
    progress_outcome_of,
    recommendation_of,
    revision_keeps_commissioner,
    visit_number_of,
)


@pytest.mark.parametrize(
    ("detail", "appoints"),
    [
        ("Same day as inadequate SIF report: direction appointing Eleanor Brazil as commissioner", True),
        ("Direction: three Commissioners take over executive functions", True),
        ("DfE direction: intervention advisers from Lincolnshire and Islington", False),
        ("direction to work with an improvement adviser, no commissioner", False),
        ("direction without a commissioner", False),
        ("", False),
    ],
)
def test_a_direction_appoints_a_commissioner_when_its_text_names_one(detail: str, appoints: bool) -> None:
    assert direction_appoints_commissioner(detail) is appoints


@pytest.mark.parametrize(
    ("detail", "keeps"),
    [
        ("Revised direction: the commissioner continues to oversee improvement", True),
        ("Commissioner Steve Walker remains in post", True),
        ("commissioner stays for a further six months", True),
        ("Commissioner report published; new direction; Whitfield reappointed", True),
        ("commissioner is re-appointed for 12 months", True),
        ("the commissioner will oversee the partnership", True),
        ("continuing commissioner oversight", True),
        ("revised direction: cooperate with commissioner to establish a Children's Services Trust", True),
        ("direction issued with the new commissioners' appointment", True),
        ("Commissioner withdrawn; council to work with partner", False),
        ("commissioner ends role; direction revised", False),
        ("commissioner leaves after the elections", False),
        ("commissioner stood down", False),
        ("direct commissioner oversight no longer required", False),
        ("Commissioner report published: council retains control with Essex CC as improvement partner", False),
        ("Commissioner report: council to remain in control", False),
        ("revised direction requiring strategic partnership with Leeds", False),
        ("", False),
    ],
)
def test_a_revision_keeps_the_commissioner_only_when_its_text_says_so(detail: str, keeps: bool) -> None:
    assert revision_keeps_commissioner(detail) is keeps


@pytest.mark.parametrize(
    ("detail", "recommendation"),
    [
        ("Commissioner recommends removal from council control: voluntary trust", "alternative_delivery"),
        ("services should move to an alternative delivery model", "alternative_delivery"),
        ("children's services removed from the council", "alternative_delivery"),
        ('removal from council control "no longer needs to be a consideration"', "retain"),
        ("no alternative delivery model needed; council keeps control", "retain"),
        ("Dwyer review: trust posed 'significant risk'; council keeps control", "retain"),
        ("operational control should stay with council (trust kept as contingency)", "retain"),
        ("recommends formal partnership with Leeds City Council for up to 3 years", "retain_with_partner"),
        ("council keeps control with leadership improvement partner", "retain_with_partner"),
        ("good progress, council should retain control", "retain"),
        ("", "retain"),
    ],
)
def test_what_a_commissioner_recommends(detail: str, recommendation: str) -> None:
    assert recommendation_of(detail) == recommendation


@pytest.mark.parametrize(
    ("detail", "form"),
    [
        ("removed from council control into an independent trust (imposed trust)", "imposed_trust"),
        ("an independent not-for-profit trust for at least 5 years", "imposed_trust"),
        ("trust imposed by the Secretary of State", "imposed_trust"),
        ("children's social care to transfer to a council-owned trust", "council_company"),
        ("Council proposes wholly-owned company to run children's services", "council_company"),
        ("partner council: Hampshire CC", "partner_council"),
        ("strategic partnership with Leeds City Council", "partner_council"),
        ("services run by another council", "partner_council"),
        ("children's social care will move to a voluntary trust", "partnership_trust"),
        ("a children's trust set up with the council", "partnership_trust"),
    ],
)
def test_the_form_of_alternative_delivery(detail: str, form: str) -> None:
    assert delivery_form_of(detail) == form


def test_no_reading_returns_a_form_the_engine_does_not_have_yet() -> None:
    # `other` arrives with facts.DeliveryForm later; until then every text reads as one of the four forms.
    forms = {delivery_form_of(text) for text in ("", "something else", "a mutual", "SEND services only")}
    assert forms == {"partnership_trust"}


@pytest.mark.parametrize(
    ("detail", "number"),
    [("First Ofsted monitoring visit", 1), ("Sixth and final monitoring visit", 6), ("monitoring visit", None),
     ("", None)],
)  # fmt: skip
def test_a_monitoring_visit_is_numbered_by_its_opening_ordinal(detail: str, number: int | None) -> None:
    assert visit_number_of(detail) == number


@pytest.mark.parametrize(
    ("detail", "outcome"),
    [
        ("six-month review: insufficient progress", "insufficient"),
        ("progress not sufficient", "insufficient"),
        ("progress too slow", "insufficient"),
        ("the council has not made enough progress", "insufficient"),
        ("good progress; sufficient", "sufficient"),
        ("review completed", "sufficient"),
    ],
)
def test_a_progress_review_outcome(detail: str, outcome: str) -> None:
    assert progress_outcome_of(detail) == outcome


@pytest.mark.parametrize(
    ("detail", "priority"),
    [
        ("focused visit: two areas for priority action", True),
        ("priority action identified on the front door", True),
        ("focused visit found no areas for priority action", False),
        ("no priority actions", False),
        ("focused visit on care leavers", False),
    ],
)
def test_a_focused_visit_with_priority_actions(detail: str, priority: bool) -> None:
    assert priority_actions_in(detail) is priority


@pytest.mark.parametrize(
    ("detail", "grade"),
    [
        ("Ofsted judges children's services inadequate (2011 safeguarding inspection)", ("inadequate", False)),
        ("safeguarding judged adequate", ("requires_improvement", True)),  # the pre-SIF grade, flagged
        ("overall effectiveness: good", ("good", False)),
        ("outstanding", ("outstanding", False)),
        ("requires improvement to be good", ("requires_improvement", False)),
        ("inspection of safeguarding services", None),
    ],
)
def test_the_overall_grade_a_judgement_states(detail: str, grade: tuple[str, bool] | None) -> None:
    assert overall_grade_of(detail) == grade
