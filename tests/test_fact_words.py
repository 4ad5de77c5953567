"""Each fact in the words that timelines, deviations and expectations use (`describe_fact`), written by hand."""

from __future__ import annotations

from typing import Any

import pytest

from intervention_engine.aggregates.expectations import describe_fact, matches, matches_any

WORDS = [
    ({"type": "note_recorded", "kind": "independent_inquiry", "detail": "Ofsted's review"},
     "note (independent_inquiry): Ofsted's review"),
    ({"type": "note_recorded", "kind": "independent_inquiry"}, "note (independent_inquiry)"),
    ({"type": "note_recorded", "kind": "independent_inquiry", "detail": ""}, "note (independent_inquiry)"),
    ({"type": "inspection_published", "framework": "sif", "judgements": {"overall": "inadequate"}},
     "inspection published: overall inadequate (sif)"),
    ({"type": "inspection_published", "framework": "ilacs_2026", "judgements": {"leadership": "good"}},
     "inspection published: overall not graded (ilacs_2026)"),
    ({"type": "inspection_published", "judgements": {"overall": "good"}}, "inspection published: overall good ()"),
    ({"type": "commissioner_reported", "recommendation": "retain"}, "commissioner reported, recommendation retain"),
    ({"type": "progress_review_completed", "outcome": "insufficient"},
     "progress review completed, outcome insufficient"),
    ({"type": "alternative_delivery_decided", "form": "partner_council"},
     "alternative delivery decided, form partner_council"),
    ({"type": "commissioner_appointed", "commissioner": "Eleanor Brazil"},
     "commissioner appointed, commissioner Eleanor Brazil"),
    ({"type": "statutory_direction_issued", "commissioner_review": True},
     "statutory direction issued with commissioner review"),
    ({"type": "statutory_direction_issued", "commissioner_review": False},
     "statutory direction issued without a commissioner"),
    ({"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": True},
     "statutory direction issued without a commissioner (revised)"),
    ({"type": "improvement_notice_issued", "revises_earlier": False}, "improvement notice issued"),
    ({"type": "coverage_declared", "regions": ["instrument", "delivery"], "covers_from": "2015-01-01",
      "covers_until": "2015-12-31"}, "coverage declared: instrument, delivery from 2015-01-01 to 2015-12-31"),
    ({"type": "coverage_declared", "regions": ["judgement"], "covers_from": "2013-11-01", "covers_until": None},
     "coverage declared: judgement from 2013-11-01 to open-ended"),
    ({"type": "statutory_direction_issued", "commissioner_review": False, "revises_earlier": True,
      "inference": "INF-04 (DFE-01): a direction issued while another is open revises it"},
     "statutory direction issued without a commissioner (revised) [read as such: INF-04 (DFE-01): a direction "
     "issued while another is open revises it]"),
    ({"type": "commissioner_appointed", "inferred": True, "inference": "INF-02", "implied_by": "a report"},
     "commissioner appointed [inferred: INF-02; implied by a report]"),
]  # fmt: skip


@pytest.mark.parametrize(("fact", "words"), WORDS, ids=[words for _, words in WORDS])
def test_each_fact_is_told_in_its_own_words(fact: dict[str, Any], words: str) -> None:
    assert describe_fact(fact) == words


def test_a_pattern_matches_a_fact_with_every_field_of_the_pattern() -> None:
    direction = {"type": "statutory_direction_issued", "commissioner_review": True, "occurred_on": "2017-01-10"}
    assert matches({"type": "statutory_direction_issued"}, direction)
    assert matches({"type": "statutory_direction_issued", "commissioner_review": True}, direction)
    assert not matches({"type": "statutory_direction_issued", "commissioner_review": False}, direction)
    assert not matches({"recommendation": "retain"}, direction)  # a field the fact lacks
    assert matches({}, direction)
    assert matches_any([{"type": "improvement_notice_issued"}, {"commissioner_review": True}], direction)
    assert not matches_any([{"type": "improvement_notice_issued"}], direction)
    assert not matches_any([], direction)
