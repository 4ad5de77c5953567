"""Each council's statistical neighbours on the page: a small grid, one row per council (the council itself first,
then its ten neighbours, most alike first), one column per 31 March and the report's last day, each cell the stage
in the lifecycle's colour. A cell whose instrument and delivery are in their default state where no source covers
the council's DfE record is hatched: nothing on record, not "no instrument" (DESIGN decision 12). One key for every
grid of the section (`neighbours_key`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from ..history.neighbours import NeighbourRow, Position
from ..policies.rulebook import STAGES
from .style import label, state_colour, text_colour

SHORT: dict[str, str] = {
    "not_inspected": "NI",
    "outstanding": "O",
    "good": "G",
    "requires_improvement": "RI",
    "inadequate": "I",
    "ungraded": "U",
    "improvement_notice": "IN",
    "statutory_direction": "SD",
    "commissioner_review": "CR",
    "alternative_delivery_decided": "AD",
    "trust": "T",
    "partner_council": "PC",
    "returned": "S",
}
SELF = ' class="self"'
HATCH = "repeating-linear-gradient(135deg, transparent 0 3px, rgba(255, 255, 255, 0.6) 3px 6px)"


def neighbours_css() -> str:
    colours = "".join(
        f".grid td.st-{stage} {{ background-color: {colour}; color: {text_colour(colour)}; }}\n"
        for stage, colour in ((stage, state_colour(stage)) for stage in SHORT)
    )
    return (
        ".grid { width: auto; font-size: 12px; } .grid td, .grid th { padding: 2px 6px; text-align: center; }\n"
        ".grid td.who { text-align: left; white-space: nowrap; } .grid tr.self td.who { font-weight: bold; }\n"
        f".grid td.silent {{ background-image: {HATCH}; }} .grid td.absent {{ color: #999; }}\n"
        ".key span { display: inline-block; margin: 2px 10px 2px 0; } .key b { padding: 1px 5px; }\n" + colours
    )


def neighbours_key() -> str:
    """The one key of every neighbours grid: each stage's colour and letters, the hatch, the dot."""
    stages = "".join(
        f'<span><b style="background:{state_colour(stage)};color:{text_colour(state_colour(stage))}">'
        f"{SHORT[stage]}</b> {escape(label(stage))}</span>"
        for stage in STAGES
        if stage in SHORT
    )
    return (
        f'<p class="key note">Statistical neighbours (stage on 31 March of each year): {stages}'
        f'<span><b style="background:#bbb;background-image:{HATCH}">?</b> hatched: nothing on record for the DfE '
        "instrument and delivery (no source covers them; an instrument may not have been recorded)</span>"
        "<span><b>·</b> not in the store on that day</span></p>"
    )


def neighbours_panel(rows: Sequence[NeighbourRow], days: Sequence[dt.date]) -> str:
    """The grid of one council, or nothing when the council identity table does not list it."""
    if not rows:
        return ""
    head = "".join(f"<th>{day.year if (day.month, day.day) == (3, 31) else day.isoformat()}</th>" for day in days)
    body = "".join(
        f'<tr{SELF if row.rank == 0 else ""}><td class="who">'
        f'{row.rank or ""} {escape(row.name)} ({escape(row.code)})</td><td class="who">{escape(row.region)}</td>'
        f"{''.join(_cell(position) for position in row.positions)}</tr>"
        for row in rows
    )
    return (
        f'<details class="neighbours"><summary>Statistical neighbours ({len(rows) - 1})</summary>'
        f'<table class="grid"><thead><tr><th>council</th><th>region</th>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></details>"
    )


def _cell(position: Position | None) -> str:
    if position is None:
        return '<td class="absent">·</td>'
    silent = " silent" if position.dfe_record == "nothing_on_record" else ""
    mark = "?" if silent else ""
    return f'<td class="st-{position.stage}{silent}">{SHORT.get(position.stage, position.stage)}{mark}</td>'
