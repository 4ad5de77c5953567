"""Settling open expectations against a recorded fact (aggregates/reacting.py), one expectation at a time, oldest
first: a fact closes every expectation it meets or contradicts, whatever the older ones it leaves open (the mutant
`continue` -> `break`, docs/mutation-survivors.md, was a real gap)."""

from __future__ import annotations

from typing import Any

from intervention_engine.aggregates.reacting import settle_expectations


class Council:
    """Just what settling reads and writes of the Council aggregate: its open expectations and timers."""

    def __init__(self, expectations: dict[str, dict[str, Any]], timers: dict[str, dict[str, Any]]) -> None:
        self.expectations, self.timers = expectations, timers
        self.closed: list[tuple[str, str, str]] = []
        self.cancelled: list[tuple[str, str]] = []

    def open_expectations(self) -> dict[str, dict[str, Any]]:
        return dict(self.expectations)

    def pending_timers(self) -> dict[str, dict[str, Any]]:
        return dict(self.timers)

    def _close_expectation(self, *, expectation_id: str, status: str, occurred_on: str, **_: Any) -> None:
        self.closed.append((expectation_id, status, occurred_on))

    def _cancel_timer(self, *, timer_id: str, occurred_on: str, reason: str) -> None:
        self.cancelled.append((timer_id, reason))


def expectation(seq: int, kind: str, meets: str, contradicts: str) -> dict[str, Any]:
    return {
        "seq": seq, "kind": kind, "rule_id": "DFE-03", "due_on": "2017-06-01", "opened_on": "2017-01-01",
        "expected": kind, "policy_version": "dfe-2016-07",
        "meets": [{"type": meets}], "contradicts": [{"type": contradicts}],
    }  # fmt: skip


TIMERS = {
    "t1": {"kind": "expectation_deadline", "subject": "e1", "due_on": "2017-06-01"},
    "t2": {"kind": "expectation_deadline", "subject": "e2", "due_on": "2017-06-01"},
}


def test_a_fact_that_meets_only_the_later_of_two_open_expectations_closes_it_and_leaves_the_older_open() -> None:
    council = Council(
        {
            "e1": expectation(1, "improvement_notice", "improvement_notice_issued", "statutory_direction_issued"),
            "e2": expectation(2, "commissioner", "commissioner_reported", "services_removed"),
        },
        TIMERS,
    )
    settle_expectations(council, {"type": "commissioner_reported", "occurred_on": "2017-03-01"}, "2017-03-01")  # type: ignore[arg-type]
    assert council.closed == [("e2", "met", "2017-03-01")]
    assert council.cancelled == [("t2", "expectation met")]  # e1's deadline still pending


def test_a_fact_closes_every_expectation_it_touches_oldest_first() -> None:
    council = Council(
        {
            "e2": expectation(2, "commissioner", "commissioner_reported", "statutory_direction_issued"),
            "e1": expectation(1, "improvement_notice", "statutory_direction_issued", "services_removed"),
        },
        TIMERS,
    )
    settle_expectations(council, {"type": "statutory_direction_issued", "occurred_on": "2017-04-03"}, "2017-04-03")  # type: ignore[arg-type]
    assert council.closed == [("e1", "met", "2017-04-03"), ("e2", "contradicted", "2017-04-03")]
    assert council.cancelled == [("t1", "expectation met"), ("t2", "expectation contradicted")]


def test_a_fact_that_touches_no_open_expectation_closes_nothing() -> None:
    council = Council({"e1": expectation(1, "improvement_notice", "improvement_notice_issued", "x")}, TIMERS)
    settle_expectations(council, {"type": "monitoring_visit_published", "occurred_on": "2017-02-01"}, "2017-02-01")  # type: ignore[arg-type]
    assert (council.closed, council.cancelled) == ([], [])
