"""Where the record, not a published rule, says what the DfE did: commissioners from November 2013 (DFE-03's
validation), and how many of the national record's failures expect one (`simulation.failure_tracks`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from intervention_engine import InterventionEngine
from intervention_engine.policies.registry import default_registry
from intervention_engine.simulation.failure_tracks import failure_tracks
from policy_council import D, deviations, expectations, inadequate, policy_engine, record

from factories import inspection
from shared_data import DATA


@pytest.fixture
def engine() -> Iterator[InterventionEngine]:
    yield from policy_engine()


def earlier_failure(engine: InterventionEngine, on: dt.date) -> None:
    """An inadequate judgement, its notice, and recovery 400 days on (so the later failure is persistent)."""
    inadequate(engine, on)
    record(engine, "improvement_notice_issued", on)
    engine.record("382", inspection(on + dt.timedelta(days=400), "requires_improvement"))
    record(engine, "improvement_notice_lifted", on + dt.timedelta(days=400))


@pytest.mark.parametrize(
    ("published", "version", "due"),
    [
        (D(2014, 2, 14), "dfe-2013-11", "2014-08-14"),  # Slough: every key judgement inadequate
        (D(2015, 7, 20), "dfe-2013-11", "2016-01-20"),  # Sunderland
        (D(2016, 4, 5), "dfe-2015-12", "2016-10-05"),  # Dudley: systemic, not persistent (DFE-04 names persistent)
    ],
    ids=["slough-2014", "sunderland-2015", "dudley-2016"],
)
def test_dfe03_from_november_2013_systemic_failure_expects_a_commissioner_as_the_record_shows(
    engine: InterventionEngine, published: dt.date, version: str, due: str
) -> None:
    inadequate(engine, published, systemic=True)
    expectation = expectations(engine)["direction_with_commissioner"]
    assert (expectation["rule_id"], expectation["policy_version"]) == ("DFE-03", version)
    assert expectation["expected"] == (
        "a statutory direction with a commissioner (systemic failure: every key judgement inadequate)"
    )
    assert expectation["due_on"] == due  # DFE-03a: six months
    assert "dfe_intervention" not in expectations(engine)


@pytest.mark.parametrize(
    ("published", "version", "kind"),
    [
        (D(2013, 10, 31), "dfe-2013", "dfe_intervention"),  # the day before the SIF regime: any instrument
        (D(2013, 11, 1), "dfe-2013-11", "direction_with_commissioner"),
    ],
    ids=["2013-10-31", "2013-11-01"],
)
def test_dfe03_persistent_failure_expects_a_commissioner_from_the_first_day_of_november_2013(
    engine: InterventionEngine, published: dt.date, version: str, kind: str
) -> None:
    earlier_failure(engine, D(2010, 3, 1))  # pre-SIF, within five years
    inadequate(engine, published)  # pre-SIF too (fieldwork in August), so never systemic
    found = expectations(engine)
    assert set(found) == {kind}
    assert (found[kind]["policy_version"], found[kind]["rule_id"]) == (version, "DFE-02" if kind == "dfe_intervention"
                                                                       else "DFE-03")  # fmt: skip
    assert "persistent failure: inadequate twice within five years" in found[kind]["expected"]


def test_dfe03_before_2016_an_adviser_led_direction_is_missed_at_the_deadline_not_contradicted(
    engine: InterventionEngine,
) -> None:
    # Buckinghamshire: systemic SIF of 8 Aug 2014, a direction with advisers (Red Quadrant) on 19 Nov 2014.
    inadequate(engine, D(2014, 8, 8), systemic=True)
    record(engine, "statutory_direction_issued", D(2014, 11, 19), commissioner_review=False)
    assert deviations(engine) == []
    engine.advance_to(D(2015, 2, 8))
    assert deviations(engine) == []  # the deadline day itself: a commissioner could still come
    engine.advance_to(D(2015, 2, 9))
    [deviation] = deviations(engine)
    assert (deviation["rule_id"], deviation["how"], deviation["policy_version"]) == ("DFE-03", "missed", "dfe-2013-11")
    assert deviation["happened"] == "nothing of the kind by 2015-02-08"


def test_dfe03_before_2016_a_commissioner_after_a_weaker_direction_meets_the_expectation(
    engine: InterventionEngine,
) -> None:
    # Rotherham's order: a direction first, the commissioner within the six months.
    inadequate(engine, D(2015, 6, 5), systemic=True)
    record(engine, "statutory_direction_issued", D(2015, 7, 1), commissioner_review=False)
    record(engine, "commissioner_appointed", D(2015, 12, 5))  # the deadline day
    engine.advance_to(D(2016, 6, 1))
    assert [d for d in deviations(engine) if d["rule_id"] == "DFE-03"] == []


def test_dfe03_from_july_2016_an_adviser_led_direction_contradicts_the_commissioner_expected(
    engine: InterventionEngine,
) -> None:
    inadequate(engine, D(2016, 8, 5), systemic=True)
    record(engine, "statutory_direction_issued", D(2016, 9, 19), commissioner_review=False)
    [deviation] = deviations(engine)
    assert (deviation["rule_id"], deviation["how"], deviation["occurred_on"]) == (
        "DFE-03",
        "contradicted",
        "2016-09-19",
    )


@pytest.mark.parametrize(
    ("day", "persistent", "systemic", "rule"),
    [
        (D(2013, 10, 31), True, True, None),  # dfe-2013: DFE-02 only
        (D(2013, 11, 1), False, True, "DFE-03"),
        (D(2013, 11, 1), True, False, "DFE-03"),
        (D(2013, 11, 1), False, False, None),
        (D(2015, 12, 14), True, False, "DFE-04"),
        (D(2015, 12, 14), False, True, "DFE-03"),
        (D(2016, 7, 4), True, False, "DFE-03"),
        (D(2016, 7, 4), False, False, None),
    ],
)
def test_the_commissioner_rule_of_each_regime(day: dt.date, persistent: bool, systemic: bool, rule: str | None) -> None:
    [policy] = [p for p in default_registry().in_force(day) if p.version.startswith("dfe")]
    assert policy.commissioner_rule(persistent, systemic) == rule  # type: ignore[attr-defined]


COUNCILS = "urn,la_code,local_authority_ons_name,region_name\n80001,901,Alpha,North\n80002,902,Beta,South\n"
ROW = "{urn},x,{framework},{published},{start},{end},{overall},{hp},{cla},,,{lead},ok,,,,,,\n"
HEADER = ("urn,local_authority,framework,publication_date,inspection_start_date,inspection_end_date,overall,"
          "help_and_protection,looked_after_or_in_care,adoption,care_leavers,leadership,parse_status,report_title,"
          "inspection_dates_text,report_published_text,inspection_link,source_path,pdf_filename\n")  # fmt: skip


def _row(urn: str, published: str, start: str, end: str, grades: tuple[str, str, str, str]) -> str:
    framework = "ILACS" if start >= "2018-01-01" else "SIF"
    overall, hp, cla, lead = grades
    return ROW.format(urn=urn, framework=framework, published=published, start=start, end=end, overall=overall,
                      hp=hp, cla=cla, lead=lead)  # fmt: skip


def test_failure_tracks_counts_the_failures_that_expect_a_commissioner(tmp_path: Path) -> None:
    bad, ri = "inadequate", "requires improvement"
    rows = [
        # Alpha: systemic in 2014 (dfe-2013-11: commissioner), RI 2016, inadequate not systemic in 2018 (persistent:
        # 2014-05-23 is within five years of 2018-05-16), not systemic and more than five years after 2018 in 2023.
        _row("80001", "2014-05-23", "2014-03-18", "2014-04-09", (bad, bad, bad, bad)),
        _row("80001", "2016-06-01", "2016-04-01", "2016-04-20", (ri, ri, ri, ri)),
        _row("80001", "2018-05-16", "2018-03-05", "2018-03-16", (bad, bad, ri, ri)),
        _row("80001", "2023-06-01", "2023-04-03", "2023-04-14", (bad, bad, ri, ri)),
        # Beta: a first non-systemic inadequate (not counted), then a systemic one under the 2015 statement, which
        # the first makes persistent too (DFE-04).
        _row("80002", "2014-03-01", "2014-01-06", "2014-01-24", (bad, bad, ri, ri)),
        _row("80002", "2016-03-01", "2016-01-04", "2016-01-22", (bad, bad, bad, bad)),
    ]
    (tmp_path / "councils.csv").write_text(COUNCILS, encoding="utf-8")
    (tmp_path / "ofsted.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    tracks = failure_tracks(tmp_path / "ofsted.csv")
    found = [(f.council, f.published_on.isoformat(), f.systemic, f.persistent, f.policy_version, f.rule_id)
             for f in tracks.failures]  # fmt: skip
    assert found == [
        ("901", "2014-05-23", True, False, "dfe-2013-11", "DFE-03"),
        ("902", "2016-03-01", True, True, "dfe-2015-12", "DFE-04"),  # Beta's 2014 failure makes 2016 persistent
        ("901", "2018-05-16", False, True, "dfe-2016-07", "DFE-03"),
    ]
    assert tracks.by_version() == {"dfe-2013-11": (1, 1), "dfe-2015-12": (1, 1), "dfe-2016-07": (1, 1)}
    assert tracks.text().splitlines()[0] == (
        "3 persistent or systemic inadequate judgements (2 systemic, 2 persistent); 3 expect a direction with a "
        "commissioner under the DfE regime in force"
    )


def test_failure_tracks_of_the_national_record() -> None:
    # Counted from ofsted_inspections.csv by a separate script (not this code): 33 inadequate judgements are
    # systemic (29) or persistent among the CSV's own judgements (8); 9 of them before July 2016 (6 before the 2015
    # statement, 3 under it).
    tracks = failure_tracks(DATA / "ofsted_inspections.csv")
    assert (len(tracks.failures), len(tracks.expecting_commissioner())) == (33, 33)
    assert (sum(f.systemic for f in tracks.failures), sum(f.persistent for f in tracks.failures)) == (29, 8)
    assert tracks.by_version() == {"dfe-2013-11": (6, 6), "dfe-2015-12": (3, 3), "dfe-2016-07": (17, 17),
                                   "dfe-2022": (7, 7)}  # fmt: skip


# ------------------------------------------------------------------------------------------------------------------
# DFE-08: the limit on how long a direction outlives recovery covers the longest real case with a margin.


def birmingham_recovers(engine: InterventionEngine) -> None:
    """Birmingham: a direction with a commissioner, then requires improvement published 17 January 2019."""
    inadequate(engine, D(2016, 11, 25), systemic=True)
    record(engine, "statutory_direction_issued", D(2016, 11, 25), commissioner_review=True)
    engine.record("382", inspection(D(2019, 1, 17), "requires_improvement"))


def test_dfe08_birminghams_revocation_52_months_and_9_days_after_recovery_is_no_deviation(
    engine: InterventionEngine,
) -> None:
    birmingham_recovers(engine)
    assert expectations(engine)["direction_revoked"]["due_on"] == "2023-07-17"  # 54 months after 17 Jan 2019
    record(engine, "statutory_direction_revoked", D(2023, 5, 26))  # past a 52-month limit (17 May 2023)
    assert deviations(engine) == []


@pytest.mark.parametrize("revoked", [D(2023, 7, 16), D(2023, 7, 17)], ids=["day-before-limit", "day-of-limit"])
def test_dfe08_a_revocation_up_to_the_day_of_the_limit_meets_it(engine: InterventionEngine, revoked: dt.date) -> None:
    birmingham_recovers(engine)
    record(engine, "statutory_direction_revoked", revoked)
    engine.advance_to(D(2024, 1, 1))
    assert deviations(engine) == []


def test_dfe08_no_revocation_by_the_day_of_the_limit_is_missed_the_day_after(engine: InterventionEngine) -> None:
    birmingham_recovers(engine)
    engine.advance_to(D(2023, 7, 17))
    assert deviations(engine) == []
    engine.advance_to(D(2023, 7, 18))
    [deviation] = deviations(engine)
    assert (deviation["kind"], deviation["rule_id"], deviation["how"]) == ("direction_revoked", "DFE-08", "missed")
    assert deviation["happened"] == "nothing of the kind by 2023-07-17"
