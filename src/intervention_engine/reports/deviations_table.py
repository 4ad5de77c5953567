"""The page's deviations table: filtered by `how` without a script (radio buttons and CSS), sorted by any column and
filtered by any text with a few lines of inline script (no library, no network), and downloadable as CSV (a
`data:` link holding every row, so it works from a file, from `GET /report` and with scripts off)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

HEADINGS = ("on", "council", "rule", "policy", "how", "expected", "happened")
CSV_COLUMNS = ("occurred_on", "council", "name", "rule_id", "policy_version", "how", "expected", "happened")
CSV_FILE = "deviations.csv"

HOW_NOTE = (
    "A deviation is <em>contradicted</em> when a fact on record went against what the policy expected, "
    "<em>missed</em> when the deadline passed with nothing on record in days a source covers, and "
    "<em>unverified</em> when it passed with nothing on record where no source covers the council's DfE record, "
    "so the step may have been taken and not recorded (also listed: <em>illegal_move</em>, a fact in an order the "
    "rulebook does not expect, recorded leniently; <em>found</em>, a policy's finding)."
)

# Sort on a header's click (again: the other way), filter on every keystroke; rows hidden by the `how` radios stay
# hidden (that is CSS), so the two filters combine. Dates are ISO and sort as text.
SCRIPT = """<script>
(() => {
  const table = document.getElementById("deviations-table");
  const rows = () => Array.from(table.tBodies[0].rows);
  table.querySelectorAll("th button").forEach((button, column) => {
    button.addEventListener("click", () => {
      const down = button.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th button").forEach((other) => other.removeAttribute("aria-sort"));
      button.setAttribute("aria-sort", down ? "ascending" : "descending");
      const text = (row) => row.cells[column].textContent;
      const sorted = rows().sort((a, b) => text(a).localeCompare(text(b), "en", {numeric: true}) * (down ? 1 : -1));
      table.tBodies[0].append(...sorted);
    });
  });
  const filter = document.getElementById("deviations-filter");
  const shown = document.getElementById("deviations-shown");
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let count = 0;
    rows().forEach((row) => {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every((word) => text.includes(word));
      count += row.hidden ? 0 : 1;
    });
    shown.textContent = words.length ? count + " match" + (count === 1 ? "" : "es") : "";
  });
})();
</script>"""


def deviations_section(found: Sequence[Mapping[str, Any]]) -> str:
    """The section: a note on `how`, the filters, the CSV link and the table (or "None.")."""
    if not found:
        body = "<p>None.</p>"
    else:
        head = "".join(f'<th><button type="button">{name}</button></th>' for name in HEADINGS)
        rows = "".join(_row(item) for item in found)
        choices = "".join(
            f'<input type="radio" name="how" id="how-{_slug(kind)}"{" checked" if kind == "all" else ""}>'
            f'<label for="how-{_slug(kind)}">{escape(kind)} ({number})</label>'
            for kind, number in {"all": len(found), **kinds(found)}.items()
        )
        body = (
            '<p class="tools"><label>Filter: <input type="search" id="deviations-filter" '
            'placeholder="council, rule, policy, words"></label> <span id="deviations-shown"></span> '
            f'<a download="{CSV_FILE}" href="data:text/csv;charset=utf-8,{quote(deviations_csv(found))}">'
            f"Download as CSV ({len(found)} rows)</a></p>"
            f'<div class="filter">Show: {choices}<table id="deviations-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>{SCRIPT}"
        )
    return (
        f'<section id="deviations"><h2>Deviations ({len(found)})</h2><p class="note">{HOW_NOTE} Click a column '
        f"to sort by it.</p>{body}</section>\n"
    )


def deviations_csv(found: Sequence[Mapping[str, Any]]) -> str:
    """Every deviation as CSV, one row each: the table's columns, the council's code and name apart, ISO dates."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([str(item.get(key, "")) for key in CSV_COLUMNS] for item in found)
    return out.getvalue()


def kinds(found: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many deviations of each `how`, the three kinds first, then any other in name order."""
    counts: dict[str, int] = {}
    for item in found:
        kind = str(item.get("how", ""))
        counts[kind] = counts.get(kind, 0) + 1
    first = [kind for kind in ("contradicted", "missed", "unverified") if kind in counts]
    return {kind: counts[kind] for kind in [*first, *sorted(set(counts) - set(first))]}


def filter_css(found: Sequence[Mapping[str, Any]]) -> str:
    """The table filtered by `how` with no script: a checked radio hides every row of another kind."""
    return "".join(
        f"#how-{_slug(kind)}:checked ~ table tbody tr:not(.how-{_slug(kind)}) {{ display: none; }}\n"
        for kind in kinds(found)
    )


def _slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "-", kind.casefold()) or "none"


def _row(item: Mapping[str, Any]) -> str:
    council = f"{item.get('name', '')} ({item.get('council', '')})"
    cells = (
        f'<td class="day">{escape(str(item.get("occurred_on", "")))}</td>',
        f'<td><a href="#council-{escape(str(item.get("council", "")))}">{escape(council)}</a></td>',
        f'<td class="rule">{escape(str(item.get("rule_id", "")))}</td>',
        *(f"<td>{escape(str(item.get(key, '')))}</td>" for key in ("policy_version", "how", "expected", "happened")),
    )
    return f'<tr class="how-{_slug(str(item.get("how", "")))}">{"".join(cells)}</tr>'
