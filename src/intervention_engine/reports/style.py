"""One palette for every chart and the diagram, so a state has the same colour everywhere it is drawn.

State names double as stage names (`derive_stage` returns a state of one region, or `returned`), so one mapping
colours the council bands, the national stacked chart and the lifecycle boxes alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Grades run green to red; DfE instruments run orange to deep purple by severity; delivery outside the council is
# blue; the year of support and supervision after intervention is teal.
STATE_COLOURS: dict[str, str] = {
    "not_inspected": "#c7c7c7",
    "outstanding": "#1a7f37",
    "good": "#6cc26c",
    "requires_improvement": "#f2c14e",
    "inadequate": "#d73027",
    "ungraded": "#9e9e9e",
    "improvement_notice": "#f28e2b",
    "statutory_direction": "#9d4edd",
    "commissioner_review": "#5a189a",
    "alternative_delivery_decided": "#8ecae6",
    "trust": "#1f5fa8",
    "partner_council": "#4ea3d9",
    "support_and_supervision": "#2a9d8f",
    "returned": "#2a9d8f",
}

# The resting state of a region ("no instrument", "the council delivers") is drawn pale and unlabelled.
RESTING_COLOUR = "#ececec"
RESTING_STATES: dict[str, str] = {"instrument": "none", "delivery": "council", "supervision": "none"}
DEVIATION_COLOUR = "#c1121f"
# "Nothing on record" (no source covers the days, the region in its default state): grey and hatched, never the pale
# resting colour, which means "none" where a source covers it.
NOTHING_ON_RECORD_COLOUR = "#d9d9d9"
NOTHING_ON_RECORD_HATCH = "////"
INFERRED_COLOUR = "#7a4b00"
FLOOR_COLOUR = "#111111"  # the count of councils in intervention, a floor where the record is partial
COVERED_COLOUR = "#6f6f6f"  # councils whose DfE record a source covers

# Timers get a colour and a marker shape each; kinds not listed here take one from the spare cycle.
TIMER_STYLES: dict[str, tuple[str, str]] = {
    "action_plan_due": ("#1f77b4", "o"),
    "monitoring_visit_due": ("#7f7f7f", "|"),
    "reinspection_window_opens": ("#17becf", "<"),
    "reinspection_due": ("#0b6e79", ">"),
    "next_inspection_due": ("#bcbd22", "s"),
    "six_month_progress_check": ("#ff7f0e", "D"),
    "dfe_progress_review": ("#e377c2", "D"),
    "commissioner_report_due": ("#5a189a", "^"),
    "commissioner_update_due": ("#9d4edd", "v"),
    "expectation_deadline": ("#c1121f", "P"),
}
SPARE_TIMER_STYLES: tuple[tuple[str, str], ...] = (
    ("#8c564b", "h"),
    ("#2ca02c", "p"),
    ("#d62728", "*"),
    ("#9467bd", "X"),
    ("#393b79", "d"),
)

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"

RC_PARAMS: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text stays text in the SVG: smaller, searchable, and the page's font renders it
    "svg.hashsalt": "intervention-engine",  # stable element ids, so the same store draws the same file
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e4e4e4",
    "date.converter": "concise",  # dates go in as datetime.date; the axis labels itself compactly
}


def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "#b0b0b0")


def timer_style(kind: str) -> tuple[str, str]:
    """Colour and marker of a timer kind; an unknown kind gets a spare style chosen from its name (stable)."""
    if kind in TIMER_STYLES:
        return TIMER_STYLES[kind]
    return SPARE_TIMER_STYLES[sum(map(ord, kind)) % len(SPARE_TIMER_STYLES)]


def label(state: str) -> str:
    """A state name as people read it: `requires_improvement` -> `requires improvement`."""
    return state.replace("_", " ")


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background` (a #rrggbb colour)."""
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    return "#000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#ffffff"
