"""The report keeps "no instrument" apart from "no instrument on record" (issue 10, DESIGN decision 12).

A small store on memory: Partialshire (801), registered as an importer of a partial record does (`record_complete:
false`), one research timeline covering 2015 only, an inadequate judgement in March 2016 with nothing on record after
it until a register-like notice in June 2017, and a commissioner with no direction on record in February 2018 (the
direction is inferred, INF-01); Completeham (802), whose record is complete, with the same judgement and a notice in
May 2016. Both systemic failures expected a direction with a commissioner by 1 September 2016 (DFE-03): Completeham's
miss is `missed`, Partialshire's `unverified`.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import matplotlib
import pytest
from fastapi.testclient import TestClient

from intervention_engine import InterventionEngine, Settings, VirtualClock, build_engine
from intervention_engine.projections.national import NationalCount
from intervention_engine.reports import collect, report_page
from intervention_engine.reports.charts import council_chart, national_chart, svg_text
from intervention_engine.reports.collect import Band, ReportData, history, intervention_words, split_unrecorded
from intervention_engine.reports.legend import legend_figure, legend_items
from intervention_engine.reports.style import RC_PARAMS
from intervention_engine.service import TokenRegistry, create_app

from factories import inspection
from http_service import READER, RECORDER, TOKENS, auth

D = dt.date
UNTIL = D(2019, 1, 1)
SVG = "{http://www.w3.org/2000/svg}"
TIMELINE_2015 = {"type": "coverage_declared", "occurred_on": "2014-01-01", "covers_from": "2015-01-01",
                 "covers_until": "2015-12-31", "regions": ["judgement", "instrument", "delivery", "supervision"],
                 "source": "partialshire.yaml"}  # fmt: skip
PARTIAL = {"type": "council_registered", "occurred_on": "2014-01-01", "code": "801", "name": "Partialshire",
           "record_complete": False}  # fmt: skip
COMPLETE = {"type": "council_registered", "occurred_on": "2014-01-01", "code": "802", "name": "Completeham"}
INF_01 = "INF-01 (DFE-01, DFE-06): a commissioner is appointed under a statutory direction"


def record(engine: InterventionEngine) -> None:
    engine.record(None, PARTIAL)
    engine.record(None, COMPLETE)
    engine.record("801", TIMELINE_2015)
    for code in ("801", "802"):
        engine.record(code, inspection(D(2016, 3, 1), "inadequate"))  # every key judgement: systemic (DFE-03)
    engine.record("802", {"type": "improvement_notice_issued", "occurred_on": "2016-05-02"})
    register = {"source": "dfe_interventions.csv", "confidence": "high"}
    engine.record("801", {"type": "improvement_notice_issued", "occurred_on": "2017-06-01", **register}, strict=False)
    engine.record("801", {"type": "commissioner_appointed", "occurred_on": "2018-02-01", **register}, strict=False)
    engine.advance_to(UNTIL)
    engine.record("802", {"type": "note_recorded", "occurred_on": "2019-01-02", "kind": "last_word"})


@pytest.fixture(scope="module")
def engine() -> Iterator[InterventionEngine]:
    built = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2014, 1, 1)))
    record(built)
    yield built
    built.close()


@pytest.fixture(scope="module")
def data(engine: InterventionEngine) -> ReportData:
    return collect(engine)


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return report_page(data)


def drawn(make: object, *args: object) -> str:
    with matplotlib.rc_context(RC_PARAMS):
        return svg_text(make(*args))  # type: ignore[operator]


def texts(svg: str) -> str:
    return " ".join(" ".join(node.itertext()) for node in ET.fromstring(svg).iter(f"{SVG}text"))


# ----------------------------------------------------------------------------------------------------------------
# 1. Bands where nothing is on record.


def test_default_states_no_source_covers_are_nothing_on_record_and_the_rest_is_known(
    engine: InterventionEngine,
) -> None:
    bands = history(engine, "801", engine.timeline("801"), UNTIL).bands
    silent, known = True, False
    assert [(b.region, b.state, b.start, b.end, b.nothing_on_record) for b in bands] == [
        ("judgement", "not_inspected", D(2014, 1, 1), D(2015, 1, 1), silent),
        ("judgement", "not_inspected", D(2015, 1, 1), D(2016, 1, 1), known),  # the timeline's year
        ("judgement", "not_inspected", D(2016, 1, 1), D(2016, 3, 1), silent),
        ("judgement", "inadequate", D(2016, 3, 1), UNTIL, known),  # set by a fact: on record
        ("instrument", "none", D(2014, 1, 1), D(2015, 1, 1), silent),
        ("instrument", "none", D(2015, 1, 1), D(2016, 1, 1), known),
        ("instrument", "none", D(2016, 1, 1), D(2017, 6, 1), silent),
        ("instrument", "improvement_notice", D(2017, 6, 1), D(2018, 2, 1), known),
        ("instrument", "commissioner_review", D(2018, 2, 1), UNTIL, known),
        ("delivery", "council", D(2014, 1, 1), D(2015, 1, 1), silent),
        ("delivery", "council", D(2015, 1, 1), D(2016, 1, 1), known),
        ("delivery", "council", D(2016, 1, 1), UNTIL, silent),
        ("supervision", "none", D(2014, 1, 1), D(2015, 1, 1), silent),
        ("supervision", "none", D(2015, 1, 1), D(2016, 1, 1), known),
        ("supervision", "none", D(2016, 1, 1), UNTIL, silent),
    ]


def test_a_council_whose_record_is_complete_has_nothing_silent(engine: InterventionEngine) -> None:
    bands = history(engine, "802", engine.timeline("802"), UNTIL).bands
    assert [(b.region, b.state, b.start, b.end) for b in bands if not b.nothing_on_record] == [
        ("judgement", "not_inspected", D(2014, 1, 1), D(2016, 3, 1)),
        ("judgement", "inadequate", D(2016, 3, 1), UNTIL),
        ("instrument", "none", D(2014, 1, 1), D(2016, 5, 2)),
        ("instrument", "improvement_notice", D(2016, 5, 2), UNTIL),
        ("delivery", "council", D(2014, 1, 1), UNTIL),
        ("supervision", "none", D(2014, 1, 1), UNTIL),
    ]
    assert [band for band in bands if band.nothing_on_record] == []


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        ("2015-12-31", [(D(2015, 1, 1), D(2016, 1, 1), False)]),  # the band's last day is covered: all known
        ("2015-12-30", [(D(2015, 1, 1), D(2015, 12, 31), False), (D(2015, 12, 31), D(2016, 1, 1), True)]),
        (None, [(D(2015, 1, 1), D(2016, 1, 1), False)]),  # open-ended
    ],
)
def test_a_band_is_cut_on_the_day_after_a_span_ends(until: str | None, expected: list[tuple[D, D, bool]]) -> None:
    spans = [
        {"regions": ["instrument"], "from": "2015-03-01", "until": until, "source": "b"},
        {"regions": ["instrument"], "from": "2014-06-01", "until": "2015-02-28", "source": "a"},  # adjoins the next
        {"regions": ["delivery"], "from": "2010-01-01", "until": None, "source": "c"},  # another region
    ]
    band = Band("instrument", "none", D(2015, 1, 1), D(2016, 1, 1))
    assert [(b.start, b.end, b.nothing_on_record) for b in split_unrecorded(band, spans)] == expected


def test_a_band_starting_before_any_span_is_silent_until_the_first_span() -> None:
    spans = [{"regions": ["delivery"], "from": "2015-03-02", "until": "2015-03-02", "source": "one day"}]
    band = Band("delivery", "council", D(2015, 3, 1), D(2015, 3, 4))
    assert [(b.start, b.end, b.nothing_on_record) for b in split_unrecorded(band, spans)] == [
        (D(2015, 3, 1), D(2015, 3, 2), True),
        (D(2015, 3, 2), D(2015, 3, 3), False),
        (D(2015, 3, 3), D(2015, 3, 4), True),
    ]
    trust = Band("delivery", "trust", D(2015, 3, 1), D(2015, 3, 4))  # not the default: on record, never cut
    assert list(split_unrecorded(trust, [])) == [trust]


def test_the_council_chart_hatches_nothing_on_record_and_its_legend_says_so(engine: InterventionEngine) -> None:
    partial = history(engine, "801", engine.timeline("801"), UNTIL)
    assert re.search(r'<pattern id="[^"]+"', drawn(council_chart, partial)), "the hatch is an SVG pattern"
    # The covered year of 2015 is "none", drawn pale; the rest of the default states, nothing on record.
    items = legend_items([partial])
    assert [item for item in items if item[0] != "timer"] == [
        ("state", "not_inspected"),
        ("state", "inadequate"),
        ("state", "improvement_notice"),
        ("state", "commissioner_review"),
        ("mark", "no instrument / council delivers"),
        ("mark", "nothing on record: no source covers this"),
        ("mark", "inspection published"),
        ("mark", "inferred fact (no source states it; its rule on hover)"),
        ("mark", "deviation (rule id)"),
    ]  # fmt: skip  (states as the lifecycle orders them, then the marks, then the timers by name)
    timers = [name for kind, name in items if kind == "timer"]
    assert "action_plan_due" in timers  # 70 working days after the inadequate report (ILACS-07)
    assert timers == sorted(timers)
    assert items[-len(timers) :] == [("timer", name) for name in timers]
    legend = texts(drawn(legend_figure, legend_items([partial])))
    assert "nothing on record: no source covers this" in legend
    assert "timer: action plan due" in legend
    assert "<pattern" in drawn(legend_figure, legend_items([partial]))  # the legend's swatch is hatched too
    complete = history(engine, "802", engine.timeline("802"), UNTIL)
    assert "<pattern" not in drawn(council_chart, complete)
    assert ("mark", "nothing on record: no source covers this") not in legend_items([complete])


# ----------------------------------------------------------------------------------------------------------------
# 2. Inferred facts.


def test_the_inferred_direction_is_marked_with_its_rule_and_the_fact_that_implied_it(
    engine: InterventionEngine,
) -> None:
    facts = history(engine, "801", engine.timeline("801"), UNTIL).facts
    inferred = [fact for fact in facts if fact.inferred]
    assert [(f.on, f.kind, f.inference, f.implied_by, f.region) for f in inferred] == [
        (D(2018, 2, 1), "statutory_direction_issued", INF_01, "commissioner_appointed on 2018-02-01", "instrument")
    ]
    assert [f.kind for f in facts if not f.inferred] == [
        "coverage_declared", "inspection_published", "improvement_notice_issued", "commissioner_appointed"
    ]  # fmt: skip


def test_the_chart_draws_the_inferred_fact_with_its_rule_as_hover_text(engine: InterventionEngine) -> None:
    svg = drawn(council_chart, history(engine, "801", engine.timeline("801"), UNTIL))
    titles = [node.text for node in ET.fromstring(svg).iter(f"{SVG}title")]
    assert titles == [
        f"2018-02-01 inferred statutory_direction_issued: {INF_01}; implied by commissioner_appointed on 2018-02-01"
    ]
    plain = history(engine, "802", engine.timeline("802"), UNTIL)
    assert "<title>" not in drawn(council_chart, plain)
    assert ("mark", "inferred fact (no source states it; its rule on hover)") not in legend_items([plain])


def test_the_page_lists_the_inferred_fact_as_inferred(page: str) -> None:
    article = page[page.index('<article id="council-801">') :]
    article = article[: article.index("</article>")]
    assert (
        '<li class="inferred">2018-02-01: <strong>inferred</strong> statutory direction issued '
        f"({INF_01}; implied by commissioner_appointed on 2018-02-01)</li>"
    ) in article
    assert "5 facts (1 inferred)" in article
    assert "<li>2018-02-01: commissioner appointed</li>" in article


# ----------------------------------------------------------------------------------------------------------------
# 3. The national count as a floor.


@pytest.mark.parametrize(
    ("on", "in_intervention", "covered", "complete"),
    [
        (D(2014, 12, 1), 0, 1, False),  # Partialshire's timeline starts on 1 January 2015
        (D(2015, 1, 1), 0, 2, True),
        (D(2015, 12, 1), 0, 2, True),
        (D(2016, 1, 1), 0, 1, False),  # its span ended on 31 December 2015
        (D(2016, 6, 1), 1, 1, False),  # Completeham's notice of 2 May 2016
        (D(2017, 7, 1), 2, 1, False),  # Partialshire's notice of 1 June 2017, from the register
        (D(2019, 1, 2), 2, 1, False),
    ],
)
def test_national_counts_are_floors_beside_the_covered_councils(
    data: ReportData, on: D, in_intervention: int, covered: int, complete: bool
) -> None:
    [count] = [count for count in data.national if count.on == on]
    assert (count.councils, count.in_intervention, count.dfe_record_covered, count.complete) == (
        2, in_intervention, covered, complete,
    )  # fmt: skip


def test_the_page_says_at_least_with_the_covered_councils(data: ReportData, page: str) -> None:
    assert data.until == D(2019, 1, 2)
    section = page[page.index('<section id="national">') :]
    assert (
        "<strong>At least 2 councils in DfE intervention on 2 January 2019 (DfE record covered for 1 of 2).</strong>"
    ) in section[: section.index("</section>")]


def test_a_count_over_complete_records_says_no_at_least() -> None:
    count = NationalCount(D(2020, 3, 31), 3, {}, {}, in_intervention=1, dfe_record_covered=3)
    assert intervention_words(count) == "1 council in DfE intervention on 31 March 2020 (DfE record covered for 3 of 3)"
    below = NationalCount(D(2020, 3, 31), 3, {}, {}, in_intervention=2, dfe_record_covered=2)
    assert intervention_words(below) == (
        "at least 2 councils in DfE intervention on 31 March 2020 (DfE record covered for 2 of 3)"
    )


def test_the_national_chart_draws_the_floor_and_the_covered_councils(data: ReportData) -> None:
    text = texts(drawn(national_chart, data.national))
    title = "At least 2 councils in DfE intervention on 2 January 2019 (DfE record covered for 1 of 2)"
    assert title in text
    assert "at least 2" in text.replace(title, "")  # the line's own label
    assert "1 of 2 covered" in text
    assert "in DfE intervention: at least this many (no instrument on record is not no instrument)" in text
    assert "councils whose DfE record a source covers (their count is exact)" in text


# ----------------------------------------------------------------------------------------------------------------
# 4. Deviations by how.


def test_the_deviations_table_shows_how_and_filters_by_it(page: str) -> None:
    section = page[page.index('<section id="deviations">') :]
    assert re.findall(r'<tr class="how-(\w+)">.*?\((\d+)\)</a>', section) == [("unverified", "801"), ("missed", "802")]
    labels = re.findall(r'<label for="how-(\w+)">([^<]+)</label>', section)
    assert labels == [("all", "all (2)"), ("missed", "missed (1)"), ("unverified", "unverified (1)")]
    assert "#how-unverified:checked ~ table tbody tr:not(.how-unverified) { display: none; }" in page
    assert "#how-missed:checked ~ table tbody tr:not(.how-missed) { display: none; }" in page
    assert "<em>unverified</em> when it passed with nothing on record where no source covers" in section
    assert "<em>contradicted</em> when a fact on record went against what the policy expected" in section


def test_get_deviations_over_http_says_unverified_where_no_source_covers_the_council() -> None:
    engine = build_engine(Settings(backend="memory"), clock=VirtualClock(D(2018, 1, 1)))
    registry = TokenRegistry(Settings(backend="memory", tokens=TOKENS).api_tokens())  # type: ignore[arg-type]
    try:
        with TestClient(create_app(engine, tokens=registry)) as client:
            for body in (PARTIAL, COMPLETE):
                assert client.post("/councils", json=body, headers=auth(RECORDER)).status_code == 201
            for code in ("801", "802"):
                fact = inspection(D(2016, 3, 1), "inadequate")
                assert client.post(f"/councils/{code}/facts", json=fact, headers=auth(RECORDER)).status_code == 201
            engine.advance_to(D(2017, 1, 1))
            found = client.get("/deviations", headers=auth(READER)).json()
    finally:
        engine.close()
    assert [(d["council"], d["rule_id"], d["how"], d["occurred_on"]) for d in found] == [
        ("801", "DFE-03", "unverified", "2016-09-01"),
        ("802", "DFE-03", "missed", "2016-09-01"),
    ]
    assert (
        found[0]["happened"] == "nothing on record by 2016-09-01; no source covers instrument, delivery over that span"
    )


# ----------------------------------------------------------------------------------------------------------------
# 5. By region: a floor as well.


def test_a_region_with_a_council_whose_dfe_record_is_not_covered_says_at_least(data: ReportData) -> None:
    [region] = data.regions  # neither council's registration names a region
    last = len(region.days) - 1
    assert (region.region, region.councils, region.days[last]) == ("region not recorded", 2, D(2019, 1, 2))
    assert {stage: counts[last] for stage, counts in region.stages.items()} == {
        "improvement_notice": 1,  # Completeham
        "commissioner_review": 1,  # Partialshire, its direction inferred
    }
    assert region.covered[last] == 1  # Completeham's record only
    assert region.title() == "region not recorded (2 councils): at least 2"
    assert region.words() == "region not recorded, 2 councils: at least 2 in DfE intervention on 2 January 2019"
    december_2015 = region.days.index(D(2015, 12, 1))  # Partialshire's timeline covers 2015: both covered
    assert (region.covered[december_2015], region.in_intervention(december_2015)) == (2, 0)
