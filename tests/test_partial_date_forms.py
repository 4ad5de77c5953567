"""Partial dates in every form (year, quarter, month) and the placement rule of the research-timeline importer
(history/partial_dates.py): on the first day of the period, or on the date of the event before it in the file when
that falls later (outside the period if it must be), or on the next full date listed after it when that falls before
the period, so the file's order is kept. Expected days are written out by hand. tests/test_partial_dates.py checks
the rule on its own; these tests check it through the importer, form by form."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from intervention_engine import InvalidImport
from intervention_engine.facts import DatePrecision, parse_fact, parse_partial_date
from intervention_engine.history.timelines import read_timeline

from shared_data import DATA

D = dt.date

FORMS = [
    ("2017", D(2017, 1, 1), DatePrecision.year),
    ("2015-Q1", D(2015, 1, 1), DatePrecision.quarter),
    ("2015-Q2", D(2015, 4, 1), DatePrecision.quarter),
    ("2015-Q3", D(2015, 7, 1), DatePrecision.quarter),
    ("2015-Q4", D(2015, 10, 1), DatePrecision.quarter),
    ("2017-01", D(2017, 1, 1), DatePrecision.month),
    ("2017-03", D(2017, 3, 1), DatePrecision.month),
    ("2017-12", D(2017, 12, 1), DatePrecision.month),
    ("2017-03-08", D(2017, 3, 8), DatePrecision.day),
    (" 2015-Q4 ", D(2015, 10, 1), DatePrecision.quarter),  # stray spaces from a hand-written file
    (" 2017-03-08 ", D(2017, 3, 8), DatePrecision.day),
]


@pytest.mark.parametrize(
    ("text", "day", "precision"),
    FORMS,
    ids=[text if text == text.strip() else f"spaced-{text.strip()}" for text, _, _ in FORMS],
)
def test_every_partial_date_form_starts_its_period(text: str, day: dt.date, precision: DatePrecision) -> None:
    assert parse_partial_date(text) == (day, precision)


@pytest.mark.parametrize("text", ["2017-13", "2015-Q5", "2015-Q0", "2017-3", "17", "March 2017", "2017-02-30"])
def test_a_malformed_partial_date_is_refused(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the importer adds the file, line and field
        parse_partial_date(text)


@pytest.mark.parametrize(("text", "day", "precision"), FORMS[:8], ids=[text for text, _, _ in FORMS[:8]])
def test_a_fact_dated_to_a_period_keeps_its_precision(text: str, day: dt.date, precision: DatePrecision) -> None:
    fact = parse_fact({"type": "improvement_notice_issued", "occurred_on": text})
    assert (fact.occurred_on, fact.date_precision) == (day, precision)


def test_a_full_date_keeps_day_precision_and_an_explicit_precision_is_kept() -> None:
    assert parse_fact({"type": "improvement_notice_issued", "occurred_on": "2017-03-08"}).date_precision == "day"
    fact = parse_fact({"type": "improvement_notice_issued", "occurred_on": "2017-03", "date_precision": "quarter"})
    assert (fact.occurred_on, fact.date_precision) == (D(2017, 3, 1), DatePrecision.quarter)


# ------------------------------------------------------------------------------------------------------------------
# The placement rule (history/partial_dates.py), with and without an earlier event, on the first and last day of the
# period and either side: the earliest day of the period not before the event listed before it; when that event is
# already past the period, its day, outside the period (the file's order wins over the written period).

FIRST, WITHIN, PAST = "first day", "not before", "outside"
PLACEMENTS = [
    # (partial date, date of the event before it in the file or None, expected day, why)
    ("2017", None, D(2017, 1, 1), FIRST),
    ("2017", "2016-12-31", D(2017, 1, 1), FIRST),  # the day before the period
    ("2017", "2017-01-01", D(2017, 1, 1), FIRST),  # its first day
    ("2017", "2017-09-01", D(2017, 9, 1), WITHIN),  # within it
    ("2017", "2017-12-31", D(2017, 12, 31), WITHIN),  # its last day
    ("2017", "2018-01-01", D(2018, 1, 1), PAST),  # the day after: the file's order wins, outside the period
    ("2015-Q4", None, D(2015, 10, 1), FIRST),
    ("2015-Q4", "2015-09-30", D(2015, 10, 1), FIRST),
    ("2015-Q4", "2015-10-01", D(2015, 10, 1), FIRST),
    ("2015-Q4", "2015-12-31", D(2015, 12, 31), WITHIN),
    ("2015-Q4", "2016-01-01", D(2016, 1, 1), PAST),
    ("2015-Q1", "2015-03-31", D(2015, 3, 31), WITHIN),
    ("2015-Q1", "2015-04-01", D(2015, 4, 1), PAST),
    ("2015-Q2", "2015-06-30", D(2015, 6, 30), WITHIN),
    ("2015-Q2", "2015-07-01", D(2015, 7, 1), PAST),
    ("2015-Q3", "2015-06-30", D(2015, 7, 1), FIRST),
    ("2015-Q3", "2015-09-30", D(2015, 9, 30), WITHIN),
    ("2017-02", None, D(2017, 2, 1), FIRST),
    ("2017-02", "2017-01-31", D(2017, 2, 1), FIRST),
    ("2017-02", "2017-02-01", D(2017, 2, 1), FIRST),
    ("2017-02", "2017-02-28", D(2017, 2, 28), WITHIN),  # a short month's last day
    ("2017-02", "2017-03-01", D(2017, 3, 1), PAST),
    ("2016-02", "2016-02-29", D(2016, 2, 29), WITHIN),  # a leap year's
    ("2016-02", "2016-03-01", D(2016, 3, 1), PAST),
    ("2017-12", "2017-12-31", D(2017, 12, 31), WITHIN),
    ("2017-12", "2018-01-01", D(2018, 1, 1), PAST),
]
# The last day of each period, as the report names it when the event before is already past it.
PERIOD_END = {"2017": "2017-12-31", "2015-Q4": "2015-12-31", "2015-Q1": "2015-03-31", "2015-Q2": "2015-06-30",
              "2017-02": "2017-02-28", "2016-02": "2016-02-29", "2017-12": "2017-12-31"}  # fmt: skip


def _timeline(tmp_path: Path, events: list[tuple[str, str]]) -> Path:
    """A research timeline of Kirklees with notes on the given dates (notes need no other fields)."""
    lines = ["council: Kirklees Council", "la_key: kirklees", "events:"]
    for date, kind in events:
        lines += [f"- date: '{date}'", f"  type: {kind}", "  source: hand-written test"]
    path = tmp_path / "kirklees.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("partial", "earlier", "expected", "why"), PLACEMENTS, ids=[f"{p}-after-{e}" for p, e, _, _ in PLACEMENTS]
)
def test_a_partial_date_is_placed_by_the_one_rule(
    tmp_path: Path, partial: str, earlier: str | None, expected: dt.date, why: str
) -> None:
    events = ([(earlier, "independent_inquiry")] if earlier else []) + [(partial, "commissioner_replaced")]
    found = read_timeline(_timeline(tmp_path, events), DATA / "councils.csv")
    [placed] = [f for f in found.facts if getattr(f, "kind", None) == "commissioner_replaced"]
    precision = parse_partial_date(partial)[1]
    assert (placed.occurred_on, placed.date_precision) == (expected, precision)
    line = 4 + 3 * (earlier is not None)
    if why == PAST:
        said = f"OUTSIDE its period, which ends {PERIOD_END[partial]}, because the event listed before it, line 4, is "
        said += "already later"
    else:
        said = {FIRST: "first day", WITHIN: "not before the event listed before it, line 4"}[why]
    assert found.placed == [f"line {line}: {partial} placed on {expected.isoformat()} ({precision.value}: {said})"]


# The next full-dated event bounds a period only when it falls before the period's first day: on the day before, the
# partial date is placed on it (outside its period, and said so); on the first day, the period's first day is kept.
@pytest.mark.parametrize(
    ("partial", "later", "expected", "outside"),
    [("2017", "2016-12-31", D(2016, 12, 31), True), ("2017", "2017-01-01", D(2017, 1, 1), False),
     ("2015-Q4", "2015-09-30", D(2015, 9, 30), True), ("2015-Q4", "2015-10-01", D(2015, 10, 1), False),
     ("2017-02", "2017-01-31", D(2017, 1, 31), True), ("2017-02", "2017-02-01", D(2017, 2, 1), False)],
    ids=lambda value: str(value),
)  # fmt: skip
def test_a_partial_date_listed_before_an_earlier_full_date_is_placed_on_it(
    tmp_path: Path, partial: str, later: str, expected: dt.date, outside: bool
) -> None:
    events = [(partial, "commissioner_replaced"), (later, "independent_inquiry")]
    found = read_timeline(_timeline(tmp_path, events), DATA / "councils.csv")
    placed = [(f.occurred_on, getattr(f, "kind", None)) for f in found.facts]
    assert placed == [(expected, "commissioner_replaced"), (D.fromisoformat(later), "independent_inquiry")]
    precision = parse_partial_date(partial)[1].value
    start = {"2017": "2017-01-01", "2015-Q4": "2015-10-01", "2017-02": "2017-02-01"}[partial]
    said = (
        f"{precision}: OUTSIDE its period, which starts {start}, because the event listed after it, line 7, is earlier"
        if outside
        else f"{precision}: first day"
    )
    assert found.placed == [f"line 4: {partial} placed on {expected.isoformat()} ({said})"]


def test_facts_are_recorded_in_date_order_with_file_order_breaking_ties(tmp_path: Path) -> None:
    events = [("2017-05-10", "independent_inquiry"), ("2017", "commissioner_replaced"),
              ("2017-02-01", "dclg_intervention"), ("2017-02-01", "commissioner_withdrawn")]  # fmt: skip
    found = read_timeline(_timeline(tmp_path, events), DATA / "councils.csv")
    notes = [(f.occurred_on.isoformat(), getattr(f, "kind", None)) for f in found.facts]
    assert notes == [
        ("2017-02-01", "dclg_intervention"),
        ("2017-02-01", "commissioner_withdrawn"),
        ("2017-05-10", "independent_inquiry"),
        ("2017-05-10", "commissioner_replaced"),  # placed on the event before it, and after it in the file
    ]


@pytest.mark.parametrize(("date", "shown"), [("March 2017", "'March 2017'"), (None, "''")], ids=["words", "missing"])
def test_a_date_that_is_not_one_names_the_file_line_field_and_forms(
    tmp_path: Path, date: str | None, shown: str
) -> None:
    path = _timeline(tmp_path, [("2017-01-05", "independent_inquiry"), ("2017-02-01", "commissioner_replaced")])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- date: '2017-02-01'\n", f"- date: '{date}'\n" if date else "- confidence: low\n"))
    with pytest.raises(InvalidImport) as refused:
        read_timeline(path, DATA / "councils.csv")
    assert str(refused.value) == (
        f"{path}, line 7, field date: {shown} is not a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)"
    )
