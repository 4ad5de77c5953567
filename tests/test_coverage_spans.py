"""What a council's sources cover, span by span (DESIGN decision 12): the spans a registration and a declaration
give, whether a union of spans holds every day of a stretch, and what a partially dated fact leaves uncertain.

Every expectation is written by hand; the day before, the first and the last day of each span are checked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from eventsourcing.domain import Snapshot

from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.aggregates.council import Council, council_id
from intervention_engine.aggregates.coverage import coverage_span, covered, initial_coverage, partial_date, uncertain_on
from intervention_engine.facts import CoverageDeclared, parse_fact

from factories import registration

REGIONS = ["judgement", "instrument", "delivery", "supervision"]


def span(start: str, until: str | None, *regions: str) -> dict[str, object]:
    return {"regions": list(regions or ["instrument"]), "from": start, "until": until, "source": "test"}


# ------------------------------------------------------------------------------------------------------------------
# Spans declared by a registration and by `coverage_declared`.


def test_a_registration_covers_every_region_from_its_day_unless_its_record_is_partial() -> None:
    whole = {"regions": REGIONS, "from": "2014-01-01", "until": None, "source": "registration"}
    assert initial_coverage({}, "2014-01-01", REGIONS) == [whole]  # a live service, a test: complete by default
    assert initial_coverage({"record_complete": True}, "2014-01-01", REGIONS) == [whole]
    assert initial_coverage({"record_complete": False}, "2014-01-01", REGIONS) == []  # an importer's partial record


def test_a_declared_span_keeps_its_regions_days_and_source() -> None:
    declared = parse_fact({"type": "coverage_declared", "occurred_on": "2014-01-01", "covers_from": "2015-01-01",
                           "covers_until": "2015-12-31", "regions": ["judgement", "delivery"],
                           "source": "partialshire.yaml"})  # fmt: skip
    assert isinstance(declared, CoverageDeclared)
    assert coverage_span(declared) == {
        "regions": ["judgement", "delivery"],
        "from": "2015-01-01",
        "until": "2015-12-31",
        "source": "partialshire.yaml",
    }


def test_a_declared_span_without_an_end_or_a_source_is_open_ended_and_says_so() -> None:
    declared = parse_fact({"type": "coverage_declared", "occurred_on": "2014-01-01", "covers_from": "2015-01-01",
                           "regions": ["instrument"]})  # fmt: skip
    assert isinstance(declared, CoverageDeclared)
    assert coverage_span(declared) == {
        "regions": ["instrument"],
        "from": "2015-01-01",
        "until": None,
        "source": "unnamed source",
    }


# ------------------------------------------------------------------------------------------------------------------
# Whether the union of spans holds every day from start to end.


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2015-01-01", "2015-12-31", True),  # the span's first and last days
        ("2014-12-31", "2015-06-01", False),  # the day before it starts
        ("2015-06-01", "2016-01-01", False),  # the day after it ends
        ("2015-12-31", "2015-12-31", True),  # its last day alone
    ],
)
def test_one_span_covers_its_first_and_last_day_and_not_a_day_beyond(start: str, end: str, expected: bool) -> None:
    assert covered([span("2015-01-01", "2015-12-31")], ["instrument"], start, end) is expected


def test_spans_meeting_day_to_day_cover_the_stretch_across_them_in_any_order() -> None:
    spans = [span("2016-01-01", "2016-12-31"), span("2015-01-01", "2015-12-31")]  # listed later first
    assert covered(spans, ["instrument"], "2015-06-01", "2016-06-01")


def test_a_one_day_gap_between_spans_is_not_covered() -> None:
    spans = [span("2015-01-01", "2015-12-30"), span("2016-01-01", "2016-12-31")]  # 31 December 2015 held by none
    assert not covered(spans, ["instrument"], "2015-06-01", "2016-06-01")
    assert covered(spans, ["instrument"], "2016-01-01", "2016-06-01")  # the stretch after the gap is


def test_a_one_day_span_fills_a_one_day_gap() -> None:
    """A declaration of a single day (31 December 2015) joins the spans either side of it; so does one on the
    stretch's first day."""
    spans = [span("2015-01-01", "2015-12-30"), span("2015-12-31", "2015-12-31"), span("2016-01-01", "2016-12-31")]
    assert covered(spans, ["instrument"], "2015-06-01", "2016-06-01")
    assert covered(
        [span("2015-06-01", "2015-06-01"), span("2015-06-02", None)], ["instrument"], "2015-06-01", "2016-01-01"
    )


def test_a_span_inside_one_already_counted_does_not_shorten_the_reach() -> None:
    spans = [span("2015-01-01", "2015-12-31"), span("2015-02-01", "2015-03-01"), span("2016-01-01", "2016-12-31")]
    assert covered(spans, ["instrument"], "2015-01-01", "2016-12-31")


def test_an_open_ended_span_covers_every_later_day() -> None:
    assert covered([span("2015-01-01", None)], ["instrument"], "2015-01-01", "2199-12-31")
    assert not covered([span("2015-01-02", None)], ["instrument"], "2015-01-01", "2015-01-02")  # a day early


def test_every_region_asked_for_must_be_covered() -> None:
    spans = [span("2015-01-01", None, "instrument"), span("2010-01-01", None, "judgement")]
    assert covered(spans, ["instrument", "judgement"], "2015-01-01", "2016-01-01")
    assert not covered(spans, ["instrument", "delivery"], "2015-01-01", "2016-01-01")  # no span names delivery
    assert not covered([], ["instrument"], "2015-01-01", "2015-01-01")


# ------------------------------------------------------------------------------------------------------------------
# Partial dates: the period a fact may mean, and what is uncertain on a day inside it.


def test_a_partially_dated_fact_records_its_period_and_where_it_was_placed() -> None:
    notice = parse_fact({"type": "improvement_notice_issued", "occurred_on": "2016-Q1"})
    assert partial_date(notice) == {
        "fact": "improvement_notice_issued",
        "placed_on": "2016-01-01",
        "precision": "quarter",
        "from": "2016-01-01",
        "until": "2016-03-31",
    }


QUARTER = {"fact": "improvement_notice_issued", "placed_on": "2016-02-15", "precision": "quarter",
           "from": "2016-01-01", "until": "2016-03-31"}  # fmt: skip


def test_a_day_before_the_placed_day_says_the_fact_is_recorded_as_not_yet_happened() -> None:
    assert uncertain_on([QUARTER], "2016-01-01") == [
        "improvement_notice_issued: known only to the quarter (2016-01-01 to 2016-03-31), placed on 2016-02-15; on "
        "2016-01-01 it is recorded as not yet happened, which the record cannot confirm"
    ]


def test_the_placed_day_itself_says_the_fact_is_recorded_as_already_happened() -> None:
    assert uncertain_on([QUARTER], "2016-02-15") == [
        "improvement_notice_issued: known only to the quarter (2016-01-01 to 2016-03-31), placed on 2016-02-15; on "
        "2016-02-15 it is recorded as already happened, which the record cannot confirm"
    ]
    assert "recorded as not yet happened" in uncertain_on([QUARTER], "2016-02-14")[0]


@pytest.mark.parametrize("day", ["2015-12-31", "2016-03-31", "2016-04-01"])
def test_outside_the_period_and_on_its_last_day_nothing_is_uncertain(day: str) -> None:
    # On the last day of the period the fact has happened whatever day it fell on.
    assert uncertain_on([QUARTER], day) == []


def test_each_partial_date_holding_the_day_is_told() -> None:
    year = {**QUARTER, "fact": "statutory_direction_issued", "precision": "year", "placed_on": "2016-01-01",
            "until": "2016-12-31"}  # fmt: skip
    told = uncertain_on([QUARTER, year], "2016-04-01")
    assert told == [
        "statutory_direction_issued: known only to the year (2016-01-01 to 2016-12-31), placed on 2016-01-01; on "
        "2016-04-01 it is recorded as already happened, which the record cannot confirm"
    ]


# ------------------------------------------------------------------------------------------------------------------
# A council stored before coverage existed.


def test_a_council_snapshotted_before_coverage_existed_is_read_as_covering_its_whole_record() -> None:
    """A snapshot from before DESIGN decision 12 has no coverage: the council's record counts as complete from its
    registration (1 January 2010), in every region, and not a day before."""
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(dt.date(2010, 1, 1)))
    engine.record(None, registration(on="2010-01-01"))
    snapshot = Snapshot.take(engine.store.repository.get(council_id("382")))
    assert "coverage" in snapshot.state
    old = dataclasses.replace(snapshot, state={k: v for k, v in snapshot.state.items() if k != "coverage"})
    council: Council = old.mutate(None)
    assert "coverage" not in council.__dict__
    assert council.coverage_on("2010-01-01") == dict.fromkeys(REGIONS, True)
    assert council.coverage_on("2030-06-30") == dict.fromkeys(REGIONS, True)
    assert council.coverage_on("2009-12-31") == dict.fromkeys(REGIONS, False)
    engine.close()
