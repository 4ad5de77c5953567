"""Coverage spans (DESIGN decision 12): whether the union of a council's sources covers every day of a span."""

from __future__ import annotations

import pytest

from intervention_engine.aggregates.coverage import covered, initial_coverage

TIMELINE = {"regions": ["judgement", "instrument", "delivery", "supervision"], "from": "2015-01-01",
            "until": "2015-12-31", "source": "t"}  # fmt: skip
LATER = {"regions": ["instrument"], "from": "2016-01-01", "until": None, "source": "s"}
CSV = {"regions": ["judgement"], "from": "2013-11-01", "until": "2026-08-20", "source": "o"}


@pytest.mark.parametrize(
    ("regions", "start", "end", "expected"),
    [
        (["instrument"], "2015-01-01", "2015-12-31", True),  # exactly the span
        (["instrument"], "2014-12-31", "2015-06-01", False),  # the day before it
        (["instrument"], "2015-06-01", "2030-01-01", True),  # joined to the open-ended span the next day
        (["delivery"], "2015-06-01", "2016-01-01", False),  # the open-ended span is for instruments only
        (["delivery"], "2015-12-31", "2015-12-31", True),
        (["judgement"], "2013-11-01", "2026-08-20", True),  # the CSV alone
        (["judgement"], "2013-11-01", "2026-08-21", False),  # the day after the CSV's last report
        (["judgement", "supervision"], "2015-03-01", "2015-03-02", True),
        (["judgement", "supervision"], "2016-03-01", "2016-03-02", False),  # supervision not covered then
    ],
)
def test_the_union_of_spans_covers_a_span_only_when_every_day_of_every_region_is_held(
    regions: list[str], start: str, end: str, expected: bool
) -> None:
    assert covered([LATER, CSV, TIMELINE], regions, start, end) is expected


def test_a_gap_of_one_day_between_spans_is_not_covered() -> None:
    first = {**TIMELINE, "until": "2015-12-30"}
    assert covered([first, LATER], ["instrument"], "2015-06-01", "2016-06-01") is False
    assert covered([first, LATER], ["instrument"], "2016-01-01", "2016-06-01") is True


def test_a_registration_covers_every_region_from_its_day_unless_the_record_is_partial() -> None:
    regions = ["judgement", "instrument"]
    assert initial_coverage({}, "2016-01-01", regions) == [
        {"regions": regions, "from": "2016-01-01", "until": None, "source": "registration"}
    ]
    assert initial_coverage({"record_complete": False}, "2016-01-01", regions) == []
