"""Human output: the rich tables every command prints (the demo uses them too)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from ..engine import CouncilStatus, Recorded, TimelineEntry
    from ..history.scenario import CheckpointResult
    from ..persistence.council_index import DueTimer
    from ..simulation.calibration import Calibration

# ----------------------------------------------------------------------------------------------------------------
# Human output (the demo uses these too).


def recorded_table(recorded: Sequence[Recorded]) -> list[Any]:
    table = new_table("council", "on", "fact", "stage", "events", title="Recorded")
    for item in recorded:
        events = "already recorded" if item.duplicate else str(item.events)
        table.add_row(item.council, item.occurred_on.isoformat(), item.fact_type, item.stage, events)
    deviations = [
        f"[yellow]deviation: {escape(str(r.deviation['expected']))}[/yellow]" for r in recorded if r.deviation
    ]
    return [table, *deviations]


def status_tables(status: CouncilStatus) -> list[Any]:
    when = f"on {status.as_of}" if status.as_of else "now"
    heading = f"[bold]{escape(status.name)} ({status.council}) {when}: stage [cyan]{status.stage}[/cyan][/bold]"
    states = new_table("region", "state", "record", title="States")
    for region, state in status.states.items():
        known = status.record.get(region, "covered")
        states.add_row(region, state if known != "nothing_on_record" else f"{state}?", known.replace("_", " "))
    out: list[Any] = [heading, states]
    if status.latest_inspection:
        inspection = status.latest_inspection
        grades = ", ".join(f"{k} {v}" for k, v in inspection["judgements"].items())
        out.append(f"Latest inspection: published {inspection['published_on']} ({inspection['framework']}): {grades}")
    if status.details:
        out.append("Details: " + ", ".join(f"{k} {v}" for k, v in status.details.items()))
    timers = new_table("timer", "kind", "due on", "rule", title="Pending timers")
    for timer in status.pending_timers:
        timers.add_row(timer["timer_id"], timer["kind"], timer["due_on"], timer["rule_id"])
    out.append(timers if status.pending_timers else "Pending timers: none")
    expectations = new_table("expected", "by", "rule", "policy", title="Open expectations")
    for wanted in status.open_expectations:
        expectations.add_row(
            escape(wanted["expected"]), wanted["due_on"] or "", wanted["rule_id"], wanted["policy_version"]
        )
    if status.open_expectations:
        out.append(expectations)
    out += [f"[magenta]Uncertain: {escape(text)}[/magenta]" for text in status.uncertain]
    if "nothing_on_record" in status.record.values():
        out.append(
            "A state marked ? is nothing on record: no source covers that region on this day, so the default "
            "state stands for what the record does not say."
        )
    for deviation in status.deviations:
        out.append(f"[yellow]Deviation on {deviation['occurred_on']}: {escape(str(deviation['expected']))}[/yellow]")
    return out


def timeline_table(entries: Sequence[TimelineEntry]) -> Table:
    table = new_table("on", "event", "stage", title="Timeline")
    for entry in entries:
        style = "dim" if entry.event.startswith("Timer") else None
        table.add_row(entry.occurred_on, escape(entry.summary), entry.stage or "", style=style)
    return table


def due_table(timers: Sequence[DueTimer]) -> Table:
    table = new_table("due on", "council", "kind", "rule", "policy", title="Pending timers")
    for timer in timers:
        council = f"{timer.council_name} ({timer.council})"
        table.add_row(timer.due_on.isoformat(), council, timer.kind, timer.rule_id, timer.policy_version)
    return table


def deviations_table(found: Sequence[dict[str, Any]]) -> Table:
    table = new_table("on", "council", "rule", "policy", "expected", "happened", title=f"Deviations: {len(found)}")
    for item in found:
        council = f"{item['name']} ({item['council']})"
        row = (
            item["occurred_on"],
            council,
            item["rule_id"],
            item["policy_version"],
            item["expected"],
            item["happened"],
        )
        table.add_row(*(escape(str(cell)) for cell in row))
    return table


def checkpoint_table(results: Sequence[CheckpointResult], title: str = "Checkpoints") -> Table:
    table = new_table("on", "line", "result", title=title)
    for result in results:
        verdict = "[green]holds[/green]" if result.holds else "[red]" + escape("; ".join(result.problems)) + "[/red]"
        table.add_row(result.on.isoformat(), str(result.line or ""), verdict)
    return table


def as_records(renderable: Any) -> list[Any]:
    """A table as one block per row (its title, then `column: value` lines, a blank line after each row); anything
    else as it is. What piped output prints: a row of any width stays whole, each value on one line."""
    if not isinstance(renderable, Table):
        return [renderable]
    columns = [(str(column.header), list(column.cells)) for column in renderable.columns]
    lines: list[Any] = [f"[bold]{renderable.title}[/bold]"] if renderable.title else []
    for row in range(renderable.row_count):
        lines += [f"{header}: {cells[row]}" for header, cells in columns if str(cells[row]).strip()]
        lines.append("")
    return lines


def new_table(*columns: str, title: str) -> Table:
    """A table that folds long cells instead of cutting them short (piped output prints it as records)."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


Checks = tuple[str, str, list["CheckpointResult"]]


def replay_tables(summary: dict[str, Any], checks: Sequence[Checks], show_timelines: bool) -> list[Any]:
    out: list[Any] = []
    table = new_table(
        "council", "stage", "states", "facts", "deviations", title=f"Councils replayed: {summary['replayed']}"
    )
    for council in summary["councils"]:
        states = ", ".join(f"{k}={v}" for k, v in council["states"].items() if v not in ("none", "council"))
        name = f"{council['name']} ({council['council']})"
        table.add_row(escape(name), council["stage"], states, str(council["facts"]), str(len(council["deviations"])))
        if show_timelines:
            out.append(f"[bold]{escape(name)}[/bold]")
            out += [f"  {line}" for line in council["timeline"]]
    out.append(table)
    for key, label in (
        ("already_in_store", "Already in the store, not replayed"),
        ("skipped_rows", "CSV rows left aside"),
    ):
        if summary[key]:
            out.append(f"{label}: {len(summary[key])}")
    out.append(national_table([summary["national"]]))
    for origin, _council, results in checks:
        held = sum(result.holds for result in results)
        out.append(checkpoint_table(results, title=f"Checkpoints: {held} of {len(results)} hold ({escape(origin)})"))
    return out


GRADES = ("outstanding", "good", "requires_improvement", "inadequate", "ungraded")  # best first, as Ofsted grades


def _grade_order(grade: str) -> tuple[int, str]:
    """Grades best first, then anything else (a pre-SIF or unknown grade) by name."""
    return (GRADES.index(grade), "") if grade in GRADES else (len(GRADES), grade)


def calibration_tables(result: Calibration, out: Path | None) -> list[Any]:
    tables: list[Any] = []
    for era, rows in result.transitions.items():
        table = new_table("previous", *GRADES, "n", title=f"Next overall grade after each grade ({era})")
        for previous, counts in sorted(rows.items(), key=lambda row: _grade_order(row[0])):
            total = sum(counts.values())
            table.add_row(previous, *(f"{counts.get(g, 0) / total:.0%}" for g in GRADES), str(total))
        tables.append(table)
    spreads = new_table("measure", "n", "median", "p10", "p90", "range", title="Intervals and lags (days)")
    named = [
        *((f"report → next fieldwork, after {grade}", spread) for grade, spread in result.intervals.items()),
        *((f"fieldwork end → publication ({era})", spread) for era, spread in result.publication_lag.items()),
        *((f"DfE: {step.replace('_', ' ')}", spread) for step, spread in result.dfe_lags.items()),
    ]
    for label, spread in named:
        spreads.add_row(label, str(spread.n), f"{spread.median:g}", f"{spread.p10:g}", f"{spread.p90:g}",
                        f"{spread.low}-{spread.high}")  # fmt: skip
    tables.append(spreads)
    if out is not None:
        tables.append(f"Written to {out}")
    return tables


def parameters_table(parameters: Sequence[Any]) -> list[Any]:
    """The world model's parameters: the record's value, its cases and bootstrap interval, and what is used."""
    from ..simulation.parameters import MIN_CASES

    table = new_table("parameter", "rule", "cases", "record", "90% bootstrap", "used", title="World model parameters")
    for p in parameters:
        found = "nothing on record" if p.value is None else f"{p.value:.3g}"
        interval = "" if p.low is None else f"{p.low:.3g} to {p.high:.3g}"
        used = f"{p.used:.3g}" if p.enough else f"{p.used:.3g}: too few cases, fallback ({p.fallback_source})"
        table.add_row(p.name, p.rule, str(p.cases), found, interval, used)
    return [table, f"Units: lags in days (median), shares of reports, rates per review or per year; fewer than "
                   f"{MIN_CASES} cases uses the fallback named."]  # fmt: skip


def national_table(counts: Sequence[Any]) -> Table:
    """Councils by stage: one row per stage, one column per date (31 March shows as its year)."""
    data = [count if isinstance(count, dict) else count.to_dict() for count in counts]
    stages = sorted({stage for count in data for stage in count["stages"]})
    heads = [count["on"][:4] if count["on"].endswith("-03-31") else count["on"] for count in data]
    title = (
        "Councils by stage (columns: 31 March of each year)" if all(len(h) == 4 for h in heads) else "Councils by stage"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("stage", overflow="fold")
    for head in heads:
        table.add_column(head, justify="right")
    for stage in stages:
        table.add_row(stage, *(str(count["stages"].get(stage, 0)) for count in data))
    table.add_row("[bold]councils[/bold]", *(str(count["councils"]) for count in data))
    if all("in_intervention" in count for count in data):
        table.add_row(
            "[bold]in DfE intervention[/bold]",
            *(("≥ " if c["in_intervention"]["at_least"] else "") + str(c["in_intervention"]["count"]) for c in data),
        )
        table.add_row("DfE record covered", *(str(c["in_intervention"]["dfe_record_covered"]) for c in data))
    return table


def checkpoint_data(checks: Sequence[Checks]) -> list[dict[str, Any]]:
    return [
        {"file": origin, "council": council, "checkpoints": [result.to_dict() for result in results]}
        for origin, council, results in checks
    ]
