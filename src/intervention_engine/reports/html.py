"""The report page: one self-contained HTML file with every chart inlined as SVG and no network; its only script is
the deviations table's sort and filter (`deviations_table.py`), inline.

Charts come in as SVG documents; `inline_svg` strips their XML prologue and gives their element ids a prefix, so
that several matplotlib drawings on one page cannot share a clip path by accident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape

from ..history.neighbours import NeighbourRow
from ..projections.national import NationalCount
from .collect import CouncilHistory, Marker, ReportData, intervention_words, sentence
from .deviations_table import deviations_section, filter_css
from .neighbours_panel import neighbours_css, neighbours_key, neighbours_panel
from .style import DEVIATION_COLOUR, FONT_FAMILY, INFERRED_COLOUR, label

_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)
_IDS = re.compile(r'(\bid="|url\(#|href="#|aria-labelledby=")([^")]+)')

CSS = f"""
body {{ font-family: {FONT_FAMILY}; margin: 0 auto; max-width: 1300px; padding: 0 24px 48px; color: #1d1d1d; }}
h1 {{ margin: 24px 0 4px; font-size: 26px; }}
h2 {{ border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 40px; }}
h3 {{ margin: 28px 0 4px; }}
nav a {{ margin-right: 14px; }}
nav.councils a {{ display: inline-block; margin: 2px 10px 2px 0; font-size: 14px; }}
figure {{ margin: 8px 0; }}
figure svg {{ width: 100%; height: auto; display: block; }}
.note, figcaption {{ color: #555; font-size: 14px; }}
details {{ margin: 6px 0 12px; }}
pre {{ background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 12px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }}
th, td {{ border-bottom: 1px solid #e2e2e2; padding: 5px 8px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; position: sticky; top: 0; }}
td.rule {{ color: {DEVIATION_COLOUR}; font-weight: bold; white-space: nowrap; }}
td.day {{ white-space: nowrap; }}
.inferred {{ color: {INFERRED_COLOUR}; font-style: italic; }}
.filter label {{ margin-right: 14px; font-size: 14px; }}
th button {{ all: unset; cursor: pointer; font-weight: bold; }}
th button[aria-sort=ascending]::after {{ content: " ▲"; }} th button[aria-sort=descending]::after {{ content: " ▼"; }}
.tools {{ font-size: 14px; }} .tools a {{ margin-left: 14px; }} tr[hidden] {{ display: none; }}
"""
STAGE_NOTE = (
    "A council is in four conditions at once, one per region. The one-word stage is derived from them: services in a "
    "trust or with a partner council first, then commissioner review, statutory direction, improvement notice, "
    "alternative delivery decided, <em>returned</em> during support and supervision, otherwise the latest grade."
)


def inline_svg(document: str, prefix: str) -> str:
    """An SVG document made fit to sit inside HTML: no prologue, every id (and reference to it) prefixed."""
    body = _PROLOGUE.sub("", document).strip()
    return _IDS.sub(lambda match: f"{match.group(1)}{prefix}-{match.group(2)}", body)


def render_page(data: ReportData, charts: Mapping[str, str], mermaid: str) -> str:
    """The whole page; `charts` holds SVG documents keyed `lifecycle`, `national` and `council:<code>`."""
    sections = [
        _header(data),
        _lifecycle(charts["lifecycle"], mermaid),
        _national(charts["national"], data.national),
        _regions(charts["regions"], data),
        _councils(data, charts),
        deviations_section(data.deviations),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>DfE intervention report to {data.until.isoformat()}</title>\n"
        f"<style>{CSS}{filter_css(data.deviations)}{neighbours_css()}</style>\n</head>\n"
        f"<body>\n{''.join(sections)}</body>\n</html>\n"
    )


def _header(data: ReportData) -> str:
    return (
        "<header><h1>DfE intervention in councils' children's services</h1>"
        f'<p class="note">From the event store, up to {data.until:%-d %B %Y}: {data.total_councils} councils, '
        f"{_count(len(data.councils), 'council timeline')}, "
        f"{_count(len(data.deviations), 'deviation')} from the policy in force.</p>"
        '<nav><a href="#lifecycle">Lifecycle</a><a href="#national">Councils by stage</a>'
        '<a href="#regions">By region</a>'
        '<a href="#councils">Council timelines</a><a href="#deviations">Deviations</a></nav></header>\n'
    )


def _lifecycle(svg: str, mermaid: str) -> str:
    return (
        '<section id="lifecycle"><h2>Lifecycle</h2>'
        f'<p class="note">{STAGE_NOTE}</p>'
        f"<figure>{inline_svg(svg, 'lifecycle')}<figcaption>Drawn from the rulebook (<code>REGIONS</code>): "
        "arrows are moves, labelled with the rulebook's trigger and [guard]; ↻ marks moves that keep the state."
        "</figcaption></figure><details><summary>Mermaid source (<code>intervention-engine diagram</code>)</summary>"
        f"<pre>{escape(mermaid)}</pre></details></section>\n"
    )


def _national(svg: str, counts: Sequence[NationalCount]) -> str:
    return (
        '<section id="national"><h2>Councils by stage</h2>'
        f"{_intervention_sentence(counts[-1]) if counts else ''}"
        f"<figure>{inline_svg(svg, 'national')}<figcaption>Counts on the first of each month "
        '(file: <a href="national.svg">national.svg</a>). Where no source '
        'covers a council\'s DfE record, its "no instrument" means nothing on record, so the count in intervention '
        "is a floor (the black line), drawn beside the number of councils whose DfE record is covered (dashed)."
        "</figcaption></figure></section>\n"
    )


def _intervention_sentence(count: NationalCount) -> str:
    return f'<p class="intervention"><strong>{escape(sentence(intervention_words(count)))}.</strong></p>'


def _regions(svg: str, data: ReportData) -> str:
    if not data.regions:
        return ""
    return (
        '<section id="regions"><h2>Councils in DfE intervention by region</h2>'
        f"<figure>{inline_svg(svg, 'regions')}<figcaption>The lower half of the chart above, one panel per region "
        '(the region the council\'s registration names), on one scale (file: <a href="regions.svg">regions.svg'
        '</a>). Each title\'s count is a floor ("at least") unless a source covers the DfE record of every council '
        "of the region.</figcaption></figure></section>\n"
    )


def _councils(data: ReportData, charts: Mapping[str, str]) -> str:
    councils = data.councils
    if not councils:
        return '<section id="councils"><h2>Council timelines</h2><p>No council to draw.</p></section>\n'
    links = "".join(f'<a href="#council-{escape(c.code)}">{escape(c.name)}</a>' for c in councils)
    articles = "".join(
        _council(council, charts[f"council:{council.code}"], data.neighbours.get(council.code, ()), data)
        for council in councils
    )
    key = neighbours_key() if data.neighbours else ""
    return (
        '<section id="councils"><h2>Council timelines</h2><p class="note">Every council with a DfE fact on record or '
        "a deviation (or those asked for). Bands show each region's state over time; markers show inspections, "
        "timers that fell due and deviations. A grey hatched band is <em>nothing on record</em>: no source covers "
        "those days and the region is still in its default state, so it may as well have held an instrument that no "
        "source recorded. A hollow diamond is an <em>inferred</em> fact: no source states it, the record implies it "
        f"(its rule in the hover text). One legend for every chart:</p>"
        f'<figure class="legend">{inline_svg(charts["legend"], "legend")}</figure>{key}'
        f'<nav class="councils">{links}</nav>{articles}</section>\n'
    )


def _council(council: CouncilHistory, svg: str, neighbours: Sequence[NeighbourRow], data: ReportData) -> str:
    slug = escape(council.code)
    facts = "".join(_fact_item(fact) for fact in council.facts)
    inferred = sum(fact.inferred for fact in council.facts)
    return (
        f'<article id="council-{slug}"><h3>{escape(council.name)} ({slug})</h3>'
        f'<p class="note">Stage now: <strong>{escape(label(council.stage))}</strong>; '
        f"{_count(len(council.facts), 'fact')} ({inferred} inferred), {_count(len(council.timers), 'timer')} fell due, "
        f"{_count(len(council.deviations), 'deviation')}.</p>"
        f"<figure>{inline_svg(svg, 'council-' + slug)}</figure>"
        f"{neighbours_panel(neighbours, data.neighbour_days)}"
        f"<details><summary>Facts on record ({len(council.facts)})</summary><ol>{facts}</ol></details></article>"
    )


def _fact_item(fact: Marker) -> str:
    if not fact.inferred:
        return f"<li>{fact.on.isoformat()}: {escape(fact.text)}</li>"
    return (
        f'<li class="inferred">{fact.on.isoformat()}: <strong>inferred</strong> {escape(label(fact.kind))} '
        f"({escape(fact.inference)}; implied by {escape(fact.implied_by or 'the record')})</li>"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
