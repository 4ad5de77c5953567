"""Working days in England and Wales (WD-01, WD-02, WD-03) and month arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intervention_engine.calendar import WorkingDayCalendar, add_months, months_between

D = dt.date
CAL = WorkingDayCalendar()


@pytest.mark.parametrize(
    ("published", "expected", "why"),
    [
        # ILACS-07 validation: Gloucestershire published Fri 1 Apr 2022, due Fri 15 Jul 2022 (Jubilee 2-3 Jun).
        (D(2022, 4, 1), D(2022, 7, 15), "Gloucestershire 2022: Easter and the Platinum Jubilee"),
        # ILACS-07 validation: Barnet published 7 Jul 2017, plan submitted October 2017.
        (D(2017, 7, 7), D(2017, 10, 16), "Barnet 2017: August bank holiday"),
    ],
)
def test_seventy_working_days_match_real_deadlines(published: dt.date, expected: dt.date, why: str) -> None:
    assert CAL.add_working_days(published, 70) == expected, why


@pytest.mark.parametrize(
    ("day", "name_part"),
    [
        (D(2022, 4, 15), "Good Friday"),
        (D(2022, 4, 18), "Easter Monday"),
        (D(2022, 6, 2), "Spring Bank Holiday"),
        (D(2022, 6, 3), "Platinum Jubilee"),
        (D(2022, 9, 19), "State Funeral"),
        (D(2022, 12, 26), "Boxing Day"),
        (D(2022, 12, 27), "Christmas Day"),  # substitute day for Christmas on a Sunday
        (D(2023, 5, 8), "Coronation"),
    ],
)
def test_bank_holidays_of_england_and_wales_are_not_working_days(day: dt.date, name_part: str) -> None:
    assert not CAL.is_working_day(day)
    assert name_part in (CAL.holiday_name(day) or "")


def test_scottish_only_holidays_are_working_days_in_england() -> None:
    assert CAL.is_working_day(D(2022, 1, 4))  # 2 January substitute holiday in Scotland only
    assert CAL.is_working_day(D(2022, 8, 1))  # Scottish summer bank holiday


def test_day_of_receipt_is_not_counted() -> None:
    # WD-02: received Monday 3 Oct 2022, day 1 is Tuesday, day 5 is the next Monday.
    assert CAL.add_working_days(D(2022, 10, 3), 1) == D(2022, 10, 4)
    assert CAL.add_working_days(D(2022, 10, 3), 5) == D(2022, 10, 10)
    assert CAL.add_working_days(D(2022, 10, 3), 5, include_start=True) == D(2022, 10, 7)


def test_counting_across_christmas_and_new_year() -> None:
    # Fri 23 Dec 2022: 26 and 27 Dec and 2 Jan are bank holidays; day 1 is Wed 28 Dec.
    assert CAL.add_working_days(D(2022, 12, 23), 1) == D(2022, 12, 28)
    assert CAL.add_working_days(D(2022, 12, 23), 4) == D(2023, 1, 3)


def test_a_weekend_receipt_counts_from_the_next_working_day() -> None:
    # WD-02: received Saturday 2 Apr 2022, day 1 is Monday 4 Apr, as for a receipt on Friday 1 Apr.
    assert CAL.add_working_days(D(2022, 4, 2), 1) == D(2022, 4, 4)
    assert CAL.add_working_days(D(2022, 4, 2), 70) == CAL.add_working_days(D(2022, 4, 1), 70)


def test_at_least_one_working_day_must_be_added() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CAL.add_working_days(D(2022, 1, 1), 0)


@given(st.dates(D(2010, 1, 1), D(2030, 12, 31)), st.integers(1, 200))
def test_the_deadline_is_a_working_day_with_exactly_n_working_days_after_the_start(start: dt.date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert CAL.is_working_day(deadline)
    days = (deadline - start).days
    counted = sum(CAL.is_working_day(start + dt.timedelta(days=i)) for i in range(1, days + 1))
    assert counted == n


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2017, 1, 31), 1, D(2017, 2, 28)),
        (D(2016, 1, 31), 1, D(2016, 2, 29)),
        (D(2016, 11, 25), 3, D(2017, 2, 25)),
        (D(2017, 3, 8), 24, D(2019, 3, 8)),
        (D(2017, 12, 15), -12, D(2016, 12, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


@given(st.dates(D(2000, 1, 1), D(2040, 1, 1)), st.integers(-120, 120))
def test_months_between_inverts_add_months_from_early_days(start: dt.date, months: int) -> None:
    start = start.replace(day=min(start.day, 28))
    assert months_between(start, add_months(start, months)) == months


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2017, 1, 31), D(2017, 2, 28), 0),  # a day short of a whole month
        (D(2017, 1, 15), D(2017, 3, 14), 1),
        (D(2017, 1, 15), D(2017, 3, 15), 2),
        (D(2017, 1, 20), D(2017, 1, 10), 0),  # ten days earlier: no whole month
        (D(2017, 1, 10), D(2017, 1, 20), 0),  # ten days later, the same month: none either
        (D(2017, 3, 14), D(2017, 1, 15), -1),
        (D(2017, 3, 15), D(2017, 1, 15), -2),
        (D(2017, 3, 10), D(2016, 12, 20), -2),
    ],
)
def test_months_between_counts_whole_months_only(start: dt.date, end: dt.date, months: int) -> None:
    assert months_between(start, end) == months


def test_a_calendar_made_afresh_knows_the_bank_holidays_by_name() -> None:
    calendar = WorkingDayCalendar()
    assert not calendar.is_working_day(D(2023, 5, 8))
    assert "Coronation" in (calendar.holiday_name(D(2023, 5, 8)) or "")
    assert calendar.holiday_name(D(2023, 5, 9)) is None
