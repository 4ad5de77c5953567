"""The report people look at: one HTML page with no network, and the same charts as SVG and PNG files.

The store holds Kirklees (replayed from its scenario), a council that went through an improvement notice and the
year of support after it, one that the DfE left alone after a systemic failure (a deviation: DFE-02, nothing within
six months), and one with nothing but a good inspection (no chart of its own). The page is opened in headless
Chromium: it must raise no error and draw something.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from browser import chromium_command
from intervention_engine import Settings, VirtualClock, build_engine
from intervention_engine.cli import app
from intervention_engine.history import load_scenario
from intervention_engine.history.national import replay_record
from intervention_engine.history.neighbours import read_council_table
from intervention_engine.policies.rulebook import REGIONS
from intervention_engine.reports import collect, report_page
from intervention_engine.reports.collect import national_days
from intervention_engine.reports.deviations_table import deviations_section
from intervention_engine.reports.diagram import lifecycle_svg
from intervention_engine.reports.html import inline_svg

from factories import inspection, registration
from shared_data import DATA

COUNCILS_CSV = DATA / "councils.csv"

KIRKLEES = Path(__file__).resolve().parents[1] / "scenarios" / "kirklees.yaml"
UNTIL = dt.date(2025, 1, 1)
SVG = "{http://www.w3.org/2000/svg}"
# Injected at the top of a copy of the page: records every error event (scripts, failed loads, which the capture
# phase sees too), every console.error and the load event into attributes of <html>, which --dump-dom prints.
PROBE = """<script>
const note = (text) => {
  const seen = JSON.parse(document.documentElement.getAttribute("data-errors") || "[]");
  document.documentElement.setAttribute("data-errors", JSON.stringify([...seen, String(text)]));
};
window.addEventListener("error", (e) => note(e.message || "failed to load " + (e.target.src || e.target.href)), true);
window.addEventListener("unhandledrejection", (e) => note(e.reason));
const consoleError = console.error;
console.error = (...args) => { note(args.join(" ")); consoleError(...args); };
window.addEventListener("load", () => document.documentElement.setAttribute("data-loaded", "yes"));
</script>"""


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def record_store(db: Path) -> None:
    """Kirklees from its scenario, plus three councils recorded here; timers fall due up to 2025."""
    engine = build_engine(Settings(db=db), clock=VirtualClock(dt.date(2014, 1, 1)))
    try:
        for code, name in (("901", "Noticeshire"), ("902", "Waitborough"), ("903", "Goodham")):
            engine.record(None, registration(code, name))
        not_systemic = {"help_and_protection": "requires_improvement", "children_in_care": "requires_improvement"}
        engine.record("901", inspection(dt.date(2015, 3, 2), "inadequate", **not_systemic))
        engine.record("901", {"type": "improvement_notice_issued", "occurred_on": "2015-05-01"})
        engine.record("901", inspection(dt.date(2017, 5, 2), "requires_improvement"))
        engine.record("901", {"type": "improvement_notice_lifted", "occurred_on": "2017-06-01"})
        engine.record("901", {"type": "support_and_supervision_ended", "occurred_on": "2018-06-01"})
        engine.record("902", inspection(dt.date(2016, 2, 1), "inadequate"))  # systemic, and no direction follows
        engine.record("903", inspection(dt.date(2015, 6, 1), "good"))
        replay_record(engine, scenarios=[load_scenario(KIRKLEES)], until=UNTIL)
    finally:
        engine.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "report.sqlite"
    record_store(db)
    return db


@pytest.fixture(scope="module")
def report(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report"
    result = run("report", "--db", str(store), "--out", str(out), "--councils", str(COUNCILS_CSV))
    assert result.exit_code == 0, result.output
    assert f"Report written to {out / 'index.html'}" in " ".join(result.output.split())
    return out


def svg_text(path: Path) -> str:
    """Every piece of text an SVG file shows, joined (it must parse as XML)."""
    return " ".join(" ".join(node.itertext()) for node in ET.parse(path).getroot().iter(f"{SVG}text"))


# ----------------------------------------------------------------------------------------------------------------
# Files.


def test_report_writes_the_page_and_each_chart_once_as_svg(report: Path) -> None:
    written = sorted(str(path.relative_to(report)) for path in report.rglob("*") if path.is_file())
    assert written == [
        "councils/382.svg", "councils/901.svg", "councils/902.svg",
        "index.html", "lifecycle.svg", "national.svg", "regions.svg",
    ]  # fmt: skip
    page = (report / "index.html").read_text(encoding="utf-8")
    for code in ("382", "901", "902"):  # the file is the chart the page inlines
        assert inline_svg((report / "councils" / f"{code}.svg").read_text(encoding="utf-8"), f"council-{code}") in page


def test_councils_with_only_inspections_and_no_deviation_get_no_chart(report: Path) -> None:
    assert sorted(path.stem for path in (report / "councils").glob("*.svg")) == ["382", "901", "902"]
    assert 'id="council-903"' not in (report / "index.html").read_text(encoding="utf-8")


def test_council_chart_shows_bands_timers_and_deviations_and_no_legend_of_its_own(report: Path) -> None:
    kirklees = svg_text(report / "councils" / "382.svg")
    for text in ("Kirklees (382)", "Grade", "DfE instrument", "Delivery", "Supervision", "Timers fell due"):
        assert text in kirklees
    for text in ("inadequate", "requires improvement", "statutory direction", "partner council", "good"):
        assert text in kirklees
    notice = svg_text(report / "councils" / "901.svg")
    assert "improvement notice" in notice
    waiting = svg_text(report / "councils" / "902.svg")
    assert "DFE-03" in waiting  # systemic in 2016: the record's commissioner, missed
    for chart in (kirklees, notice, waiting):
        assert "timer:" not in chart
        assert "inspection published" not in chart
        assert "deviation (rule id)" not in chart


def test_the_council_timelines_have_one_legend_for_every_chart(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="councils">') : page.index('<section id="deviations">')]
    legend = section[section.index('<figure class="legend">') :]
    legend = legend[legend.index("<svg") : legend.index("</svg>") + 6]
    legend_text = " ".join(" ".join(node.itertext()) for node in ET.fromstring(legend).iter(f"{SVG}text"))
    for state in ("statutory direction", "partner council", "improvement notice", "support and supervision"):
        assert state in legend_text  # (band labels name them too, where they fit)
    for item in ("timer: monitoring visit due", "timer: action plan due", "inspection published",
                 "deviation (rule id)"):  # fmt: skip
        assert item in legend_text
        assert section.count(f">{item}<") == 1, item  # in the legend only, not under each chart
    assert page.count('<figure class="legend">') == 1


def test_national_chart_stacks_councils_by_stage_over_time(report: Path) -> None:
    text = svg_text(report / "national.svg")
    assert "Councils by stage, monthly, January 2014 to" in text
    for stage in ("not inspected", "good", "inadequate", "improvement notice", "statutory direction", "returned"):
        assert stage in text
    assert "2016" in text
    assert "2020" in text


def test_national_points_are_monthly_from_2014_to_the_latest_date() -> None:
    days = national_days(dt.date(2014, 4, 15))
    assert days == [dt.date(2014, 1, 1), dt.date(2014, 2, 1), dt.date(2014, 3, 1), dt.date(2014, 4, 1), days[-1]]
    assert days[-1] == dt.date(2014, 4, 15)
    assert national_days(dt.date(2014, 12, 31))[-2] == dt.date(2014, 12, 1)


# ----------------------------------------------------------------------------------------------------------------
# The lifecycle diagram.


def test_lifecycle_diagram_draws_every_state_and_every_move_of_the_rulebook() -> None:
    root = ET.fromstring(lifecycle_svg())
    regions = {group.get("id") for group in root.iter(f"{SVG}g") if group.get("class") == "region"}
    assert regions == {f"region-{name}" for name in REGIONS}
    states = {group.get("data-state") for group in root.iter(f"{SVG}g") if group.get("class") == "state"}
    assert {state for spec in REGIONS.values() for state in spec["states"]} <= states
    text = " ".join(root.itertext())
    assert {move["trigger"] for spec in REGIONS.values() for move in spec["transitions"]} <= set(
        re.findall(r"\w+", text)
    )


def test_lifecycle_file_is_the_diagram_and_the_page_keeps_the_mermaid_source(report: Path) -> None:
    assert (report / "lifecycle.svg").read_text(encoding="utf-8") == lifecycle_svg()
    page = (report / "index.html").read_text(encoding="utf-8")
    details = page[page.index("<details><summary>Mermaid source") :]
    assert "stateDiagram-v2" in details[: details.index("</details>")]


# ----------------------------------------------------------------------------------------------------------------
# The page.


def test_page_needs_no_network_and_its_one_script_is_inline(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    assert page.count("<script") == 1
    assert "<script>" in page  # no src: nothing to fetch
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//|@import|url\(\s*['"]?https?:""", page) == []
    assert page.count("<svg") == 4 + 3  # lifecycle, national, by region, the council charts' legend; three councils


def test_every_council_chart_is_on_the_page_under_its_council(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    titles = {"382": "Kirklees (382): stage now good", "901": "Noticeshire (901): stage now requires improvement",
              "902": "Waitborough (902): stage now inadequate"}  # fmt: skip
    for code, title in titles.items():
        article = page[page.index(f'<article id="council-{code}">') :]
        article = article[: article.index("</article>")]
        assert article.count("<svg") == 1
        chart = article[article.index("<svg") : article.index("</svg>") + 6]
        assert title in " ".join(" ".join(node.itertext()) for node in ET.fromstring(chart).iter(f"{SVG}text"))


def test_page_lists_every_deviation_with_its_rule(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    table = page[page.index('<section id="deviations">') :]
    assert "Waitborough (902)" in table
    assert '<td class="rule">DFE-03</td>' in table  # systemic in 2016: the record's commissioner (dfe_2013_11)


def test_inlined_charts_keep_their_ids_apart(report: Path) -> None:
    document = '<?xml version="1.0"?>\n<svg><defs><clipPath id="p1"/></defs><g clip-path="url(#p1)"/></svg>'
    assert inline_svg(document, "a") == '<svg><defs><clipPath id="a-p1"/></defs><g clip-path="url(#a-p1)"/></svg>'
    ids = re.findall(r'\bid="([^"]+)"', (report / "index.html").read_text(encoding="utf-8"))
    assert len(ids) == len(set(ids))


def test_report_for_named_councils_draws_only_those(store: Path, tmp_path: Path) -> None:
    result = run("report", "--db", str(store), "--out", str(tmp_path), "--council", "Noticeshire", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "councils").iterdir()) == ["901.svg"]
    assert "Waitborough" not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_report_for_an_unknown_council_is_refused(store: Path, tmp_path: Path) -> None:
    result = run("report", "--db", str(store), "--out", str(tmp_path), "--council", "Atlantis")
    assert result.exit_code == 3
    assert not (tmp_path / "index.html").exists()


def test_the_page_drawn_in_memory_is_the_page_written_to_files(store: Path, report: Path) -> None:
    """`GET /report` draws the page without files (SVG only, in memory): the same page the command writes."""
    engine = build_engine(Settings(db=store), clock=VirtualClock(dt.date(2026, 1, 1)))
    try:
        page = report_page(collect(engine, (), read_council_table(COUNCILS_CSV)))
    finally:
        engine.close()
    assert page == (report / "index.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------------
# In a browser.


@pytest.fixture
def chromium(tmp_path: Path) -> list[str]:
    """The headless Chromium command line; skipped when Chromium is missing, unless CI is set (then it fails)."""
    return chromium_command(tmp_path / "profile")


def open_page(chromium: list[str], page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The timeout only stops a hung browser from hanging the suite; nothing is asserted about time.
    command = [*chromium, "--enable-logging=stderr", "--v=0", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def page_errors(chromium: list[str], page: Path) -> list[str]:
    """Open a probed copy of `page` beside it; every error the page raised (or logged), and proof it loaded."""
    probed = page.with_name(f"probed-{page.name}")
    probed.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    browser = open_page(chromium, probed, "--dump-dom")
    probed.unlink()
    assert browser.returncode == 0, browser.stderr
    opening = re.search(r"<html[^>]*>", browser.stdout)
    assert opening is not None, f"no DOM dumped: {browser.stderr}"
    html = opening.group(0)
    console = [line for line in browser.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    recorded = re.findall(r'data-errors="([^"]*)"', html)
    return [*console, *recorded, *([] if 'data-loaded="yes"' in html else ["the page never finished loading"])]


def test_the_probe_catches_script_errors_and_failed_loads(chromium: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head></head><body><img src="missing.png"><script>nowhere()</script></body></html>'
    )
    errors = " ".join(page_errors(chromium, bad))
    assert "nowhere is not defined" in errors
    assert "missing.png" in errors


def test_page_opens_in_headless_chromium_without_errors(chromium: list[str], report: Path) -> None:
    assert page_errors(chromium, report / "index.html") == []


def test_page_screenshot_shows_the_charts(chromium: list[str], report: Path) -> None:
    shot = report / "screenshot.png"
    browser = open_page(chromium, report / "index.html", f"--screenshot={shot}", "--window-size=1400,2000")
    assert browser.returncode == 0, browser.stderr
    with Image.open(shot) as image:
        assert image.size == (1400, 2000)
        pixels = image.convert("RGB")
        colours = pixels.getcolors(maxcolors=1 << 24) or []
    white = max((count for count, colour in colours if colour == (255, 255, 255)), default=0)
    assert len(colours) > 200  # text, boxes and filled charts, not a blank or single-colour page
    assert white < 0.95 * 1400 * 2000


# ----------------------------------------------------------------------------------------------------------------
# The deviations table: CSV, sort and filter.


def test_the_csv_link_holds_every_deviation(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    [href] = re.findall(r'<a download="deviations.csv" href="data:text/csv;charset=utf-8,([^"]+)">', page)
    rows = list(csv.reader(io.StringIO(unquote(href))))
    assert rows == [
        ["occurred_on", "council", "name", "rule_id", "policy_version", "how", "expected", "happened"],
        ["2016-08-01", "902", "Waitborough", "DFE-03", "dfe-2015-12", "missed",
         "a statutory direction with a commissioner (systemic failure: every key judgement inadequate) by 2016-08-01",
         "nothing of the kind by 2016-08-01"],
    ]  # fmt: skip


DEVIATIONS = [
    {"council": "902", "name": "Waitborough", "occurred_on": "2016-08-01", "rule_id": "DFE-03", "how": "missed",
     "policy_version": "dfe-2015-12", "expected": "a direction", "happened": "nothing"},
    {"council": "382", "name": "Kirklees", "occurred_on": "2019-01-02", "rule_id": "DFE-08", "how": "contradicted",
     "policy_version": "dfe-2016", "expected": "notice lifted", "happened": "kept"},
    {"council": "901", "name": "Noticeshire", "occurred_on": "2015-06-01", "rule_id": "ILACS-07", "how": "unverified",
     "policy_version": "ilacs", "expected": "an action plan", "happened": "nothing on record"},
]  # fmt: skip
# Run after the table's own script: sort by council twice, then filter; what the reader then sees goes into
# attributes of <html>, which --dump-dom prints.
ACTIONS = """<script>
const shown = () => Array.from(document.querySelectorAll("#deviations-table tbody tr"))
  .filter((row) => !row.hidden).map((row) => row.cells[0].textContent).join(" ");
const button = (name) => Array.from(document.querySelectorAll("th button")).find((b) => b.textContent === name);
const root = document.documentElement;
button("council").click();
root.setAttribute("data-up", shown());
button("council").click();
root.setAttribute("data-down", shown());
const filter = document.getElementById("deviations-filter");
filter.value = "dfe- MISSED";
filter.dispatchEvent(new Event("input"));
root.setAttribute("data-filtered", shown() + " / " + document.getElementById("deviations-shown").textContent);
</script>"""


def test_the_deviations_table_sorts_and_filters_in_a_browser(chromium: list[str], tmp_path: Path) -> None:
    section = deviations_section(DEVIATIONS)
    page = tmp_path / "deviations.html"
    page.write_text(f"<!DOCTYPE html><html><head></head><body>{section}{ACTIONS}</body></html>", encoding="utf-8")
    assert page_errors(chromium, page) == []
    browser = open_page(chromium, page, "--dump-dom")
    root = re.search(r"<html[^>]*>", browser.stdout)
    assert root is not None, browser.stderr
    seen = dict(re.findall(r'data-(up|down|filtered)="([^"]*)"', root.group(0)))
    assert seen == {
        "up": "2019-01-02 2015-06-01 2016-08-01",  # Kirklees, Noticeshire, Waitborough
        "down": "2016-08-01 2015-06-01 2019-01-02",
        "filtered": "2016-08-01 / 1 match",  # every word, any case: Waitborough's DFE-03, missed
    }


# ----------------------------------------------------------------------------------------------------------------
# Statistical neighbours and regions.


def test_each_council_has_its_ten_statistical_neighbours_beside_it(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    article = page[page.index('<article id="council-382">') :]
    article = article[: article.index("</article>")]
    grid = article[article.index('<details class="neighbours">') :]
    assert "<summary>Statistical neighbours (10)</summary>" in grid
    rows = re.findall(r'<tr[^>]*><td class="who">([^<]*)</td><td class="who">([^<]*)</td>(.*?)</tr>', grid)
    assert [(who.strip(), region) for who, region, _ in rows] == [
        ("Kirklees (382)", "Yorkshire and the Humber"),
        ("1 Sheffield (373)", "Yorkshire and the Humber"), ("2 Tameside (357)", "North West"),
        ("3 Portsmouth (851)", "South East"), ("4 Derby (831)", "East Midlands"), ("5 Plymouth (879)", "South West"),
        ("6 Rochdale (354)", "North West"), ("7 Bury (351)", "North West"),
        ("8 Wakefield (384)", "Yorkshire and the Humber"), ("9 Cornwall (908)", "South West"),
        ("10 Gateshead (390)", "North East"),
    ]  # fmt: skip
    heads = re.findall(r"<th>([^<]*)</th>", grid)
    assert heads[:5] == ["council", "region", "2014", "2015", "2016"]
    cells = re.findall(r"<td class=\"([^\"]*)\">([^<]*)</td>", rows[0][2])
    # Kirklees, registered by its scenario on 1 January 2016: not yet in the store on 31 March 2014 and 2015; then
    # not inspected, a statutory direction (2017), services with Leeds (2018), requires improvement (2020).
    assert cells[:7] == [("absent", "·"), ("absent", "·"), ("st-not_inspected", "NI"), ("st-statutory_direction", "SD"),
                         ("st-partner_council", "PC"), ("st-partner_council", "PC"),
                         ("st-requires_improvement", "RI")]  # fmt: skip
    assert set(re.findall(r"<td[^>]*>([^<]*)</td>", rows[1][2])) == {"·"}  # Sheffield is not in this store
    noticeshire = page[page.index('<article id="council-901">') :]
    assert '<details class="neighbours">' not in noticeshire[: noticeshire.index("</article>")]  # not in the table
    assert page.count('<p class="key note">Statistical neighbours') == 1  # one key for every grid


def test_the_national_chart_by_region_counts_each_region_apart(report: Path, store: Path) -> None:
    engine = build_engine(Settings(db=store), clock=VirtualClock(dt.date(2026, 1, 1)))
    try:
        regions = collect(engine).regions
    finally:
        engine.close()
    april_2017 = regions[0].days.index(dt.date(2017, 4, 1))
    found = [(r.region, r.councils, {s: n[april_2017] for s, n in r.stages.items() if n[april_2017]}) for r in regions]
    assert found == [
        ("Yorkshire and the Humber", 1, {"statutory_direction": 1}),  # Kirklees, its direction revised in March 2017
        ("region not recorded", 3, {"improvement_notice": 1}),  # Noticeshire's notice, lifted in June 2017
    ]
    text = svg_text(report / "regions.svg")
    assert "Yorkshire and the Humber (1 council): 0" in text  # good since August 2024: no instrument; covered
    assert "region not recorded (3 councils): 0" in text
    assert '<section id="regions">' in (report / "index.html").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------------------------------------------
# The progress bar: on a terminal only, and not with --quiet.


def report_on_a_terminal(store: Path, out: Path, *args: str) -> str:
    """Run `intervention-engine report` with stderr on a pseudo-terminal (stdout piped); what the terminal got."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "intervention_engine.cli", "report", "--db", str(store), "--out", str(out), *args]
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=env) as process:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        stdout, _ = process.communicate(timeout=300)
    os.close(leader)
    assert process.returncode == 0, seen.decode(errors="replace")
    assert b"Report written to" in stdout
    return seen.decode(errors="replace")


def test_a_progress_bar_on_a_terminal_and_none_with_quiet(store: Path, tmp_path: Path) -> None:
    shown = report_on_a_terminal(store, tmp_path / "shown")
    assert "Drawing" in shown
    assert "/6" in shown  # of six charts: three councils, the national chart, the regions, the legend
    assert report_on_a_terminal(store, tmp_path / "quiet", "--quiet") == ""
    piped = run("report", "--db", str(store), "--out", str(tmp_path / "piped"))  # stderr not a terminal
    assert piped.exit_code == 0
    assert piped.stderr == ""
