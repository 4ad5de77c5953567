"""Partial dates (month, quarter, year) are placed at the earliest day their place in the file allows, never
reordering the file's events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from intervention_engine.facts import DatePrecision, parse_partial_date
from intervention_engine.history.partial_dates import Placed, UnreadableDate, place, place_all

D = dt.date
_DAYS = st.dates(min_value=D(2008, 1, 1), max_value=D(2026, 12, 31))


def test_a_full_date_is_taken_as_written_even_before_the_event_listed_before_it() -> None:
    assert place("2014-03-05", (D(2015, 1, 1), 4)) == Placed(D(2014, 3, 5), DatePrecision.day, None)


@pytest.mark.parametrize(
    ("text", "first_day", "precision"),
    [
        ("2014", D(2014, 1, 1), DatePrecision.year),
        ("2014-Q3", D(2014, 7, 1), DatePrecision.quarter),
        ("2014-09", D(2014, 9, 1), DatePrecision.month),
    ],
)
def test_with_nothing_before_it_a_period_is_placed_on_its_first_day(
    text: str, first_day: dt.date, precision: DatePrecision
) -> None:
    assert place(text) == Placed(first_day, precision, f"{text} placed on {first_day} ({precision.value}: first day)")


@pytest.mark.parametrize(
    ("text", "before"),
    [("2014", D(2013, 12, 31)), ("2014-Q3", D(2014, 6, 30)), ("2014-09", D(2014, 8, 31))],
)
def test_an_event_the_day_before_the_period_leaves_it_on_its_first_day(text: str, before: dt.date) -> None:
    assert place(text, (before, 5)).day == before + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2014", D(2014, 1, 1), D(2014, 12, 31)),
        ("2014-Q3", D(2014, 7, 1), D(2014, 9, 30)),
        ("2014-Q4", D(2014, 10, 1), D(2014, 12, 31)),
        ("2014-02", D(2014, 2, 1), D(2014, 2, 28)),
        ("2016-02", D(2016, 2, 1), D(2016, 2, 29)),  # a leap year's February
    ],
)
def test_an_event_within_the_period_before_it_moves_it_to_that_day(text: str, first: dt.date, last: dt.date) -> None:
    on_first, on_last = place(text, (first, 7)), place(text, (last, 7))
    assert (on_first.day, on_last.day) == (first, last)
    assert on_first.how == f"{text} placed on {first} ({on_first.precision.value}: first day)"
    assert on_last.how == (
        f"{text} placed on {last} ({on_last.precision.value}: not before the event listed before it, line 7)"
    )


@pytest.mark.parametrize(
    ("text", "last"),
    [("2014", D(2014, 12, 31)), ("2014-Q1", D(2014, 3, 31)), ("2014-03", D(2014, 3, 31))],
)
def test_an_event_already_past_the_period_places_it_on_that_day_and_says_so(text: str, last: dt.date) -> None:
    after = last + dt.timedelta(days=1)
    placed = place(text, (after, 12))
    assert placed.day == after
    assert placed.how == (
        f"{text} placed on {after} ({placed.precision.value}: OUTSIDE its period, which ends {last}, because the "
        "event listed before it, line 12, is already later)"
    )


def test_a_year_listed_after_a_month_dated_event_stays_after_it() -> None:
    # The case (d): `2014` after `2014-09` was placed on 1 January and reordered the instruments.
    month, year = place_all([(3, "2014-09"), (8, "2014")])
    assert (month.day, year.day) == (D(2014, 9, 1), D(2014, 9, 1))
    assert year.how == "2014 placed on 2014-09-01 (year: not before the event listed before it, line 3)"


def test_a_chain_of_partial_dates_follows_the_last_placed_day() -> None:
    placed = place_all([(1, "2015-11-20"), (2, "2015-Q4"), (3, "2015"), (4, "2016-01"), (5, "2016-01-15")])
    assert [p.day for p in placed] == [D(2015, 11, 20), D(2015, 11, 20), D(2015, 11, 20), D(2016, 1, 1),
                                       D(2016, 1, 15)]  # fmt: skip


@pytest.mark.parametrize("text", ["March 2017", "2017-13", "2017-Q5", "17", "2017-02-30", ""])
def test_what_is_not_a_date_is_refused_naming_its_line(text: str) -> None:
    with pytest.raises(UnreadableDate) as error:
        place_all([(3, "2016"), (9, text)])
    assert (error.value.line, error.value.text) == (9, text)
    assert str(error.value) == f"line 9: {text!r} is not a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)"


@pytest.mark.parametrize(("text", "start"), [("2014", "2014-01-01"), ("2014-Q2", "2014-04-01"),
                                             ("2014-05", "2014-05-01")])  # fmt: skip
def test_a_period_that_starts_after_the_next_full_date_is_placed_on_that_date(text: str, start: str) -> None:
    # The file says it happened before the event of 3 December 2013 (line 6): the file's order wins.
    placed = place_all([(2, "2013-11-01"), (4, text), (6, "2013-12-03")])
    assert [p.day for p in placed] == [D(2013, 11, 1), D(2013, 12, 3), D(2013, 12, 3)]
    assert placed[1].how == (
        f"{text} placed on 2013-12-03 ({placed[1].precision.value}: OUTSIDE its period, which starts {start}, "
        "because the event listed after it, line 6, is earlier)"
    )


def test_the_next_full_date_bounds_a_period_only_when_it_starts_before_the_period() -> None:
    # 2014-Q1 before an event of 15 February 2014: the quarter's first day already keeps the order.
    assert [p.day for p in place_all([(1, "2014-Q1"), (2, "2014-02-15")])] == [D(2014, 1, 1), D(2014, 2, 15)]
    # A partial date before another partial one is not bounded by it.
    assert [p.day for p in place_all([(1, "2015"), (2, "2014")])] == [D(2015, 1, 1), D(2015, 1, 1)]


_ANY_TEXT = st.one_of(
    _DAYS.map(dt.date.isoformat),
    _DAYS.map(lambda day: f"{day.year}"),
    _DAYS.map(lambda day: f"{day.year}-Q{(day.month - 1) // 3 + 1}"),
    _DAYS.map(lambda day: f"{day.year}-{day.month:02d}"),
)


@given(st.lists(_ANY_TEXT, max_size=14))
def test_placed_days_never_go_backwards_while_the_files_full_dates_do_not(texts: list[str]) -> None:
    full = [text for text in texts if len(text) == 10]
    assume(full == sorted(full))
    days = [p.day for p in place_all(list(enumerate(texts, start=1)))]
    assert days == sorted(days)


@st.composite
def _files(draw: st.DrawFn) -> list[tuple[dt.date, str]]:
    """A file's events in the order they happened (their true days), each written as a full date or as the year,
    quarter or month that holds it."""
    days = sorted(draw(st.lists(_DAYS, min_size=1, max_size=12)))
    forms = draw(st.lists(st.sampled_from(["day", "year", "quarter", "month"]), min_size=len(days),
                          max_size=len(days)))  # fmt: skip
    written = {
        "day": lambda day: day.isoformat(),
        "year": lambda day: f"{day.year}",
        "quarter": lambda day: f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "month": lambda day: f"{day.year}-{day.month:02d}",
    }
    return [(day, written[form](day)) for day, form in zip(days, forms, strict=True)]


@given(_files())
def test_placed_days_keep_the_file_order_and_stay_within_each_period(events: list[tuple[dt.date, str]]) -> None:
    placed = place_all([(line, text) for line, (_, text) in enumerate(events, start=1)])
    days = [p.day for p in placed]
    assert days == sorted(days)  # never reordered
    for (true_day, text), p in zip(events, placed, strict=True):
        if p.precision is DatePrecision.day:
            assert (p.day, p.how) == (true_day, None)  # full dates are never moved
        else:
            # the earliest day consistent with the file: within its period, never after the day it really was
            assert parse_partial_date(text)[0] <= p.day <= true_day
            assert p.how is not None
            assert p.how.startswith(f"{text} placed on {p.day}")
            assert "OUTSIDE" not in p.how
