"""The tidy tables' columns, in their stable order, with types and meanings: the one source of the data dictionary
(`docs/exports.md` is written from it, and a test keeps the two identical).

Long format: one row per observation. Every row about a council names it four ways (DfE code, ONS code, name,
region) so a table joins to anything else an analyst holds. Dates are ISO dates; `recorded_at` is UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["date", "timestamp", "string", "integer", "float", "boolean"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    meaning: str
    nullable: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    row: str  # what one row is
    columns: tuple[Column, ...]
    needs: str = "the store"  # what the table is built from

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


IDENTITY = (
    Column("council", "string", "the council's DfE three-digit code (`la_code`)"),
    Column("ons_code", "string", "its ONS code (`la_code_new`); empty when neither source names one", nullable=True),
    Column("council_name", "string", "its name as registered"),
    Column("region", "string", "its region (`region_name`), or `no region on record`"),
)
_REGIONS = ("judgement", "instrument", "delivery", "supervision")
_STATES = tuple(Column(region, "string", f"the {region} region's state") for region in _REGIONS)
_STAGE = Column("stage", "string", "the one-word stage derived from the four states (README: The lifecycle)")
_RECORD = tuple(
    Column(
        f"{region}_record",
        "string",
        f"what the record says of the {region} region that day: `covered` (a source that keeps everything covers "
        "it), `on_record` (a fact on record set it) or `nothing_on_record` (its default state: nothing on record, "
        "which is not evidence that nothing happened)",
    )
    for region in _REGIONS
)
_RECORDED_AT = Column("recorded_at", "timestamp", "when the engine recorded the event (UTC)")
_VERSION = Column("version", "integer", "the event's version in the council's stream (1: registered)")
_RULE = (
    Column("rule_id", "string", "the rule (RULES.md) that set it"),
    Column("policy_version", "string", "the policy version in force"),
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "facts",
            "a fact recorded for a council (its registration included)",
            (
                *IDENTITY,
                _VERSION,
                Column("occurred_on", "date", "the day it happened (a partial date: the first day of its span)"),
                Column(
                    "date_precision",
                    "string",
                    "`day`, `month`, `quarter` or `year`: how much of `occurred_on` is known",
                ),
                _RECORDED_AT,
                Column("fact_type", "string", "the fact's type (`inspection_published`, ...)"),
                Column("summary", "string", "the fact in words"),
                Column("source", "string", "where the fact comes from", nullable=True),
                Column("confidence", "string", "`high`, `medium` or `low`, where the source says", nullable=True),
                Column("deviation", "boolean", "recorded in lenient mode although the rulebook forbids it"),
                _STAGE,
                *_STATES,
                Column("fact", "string", "the whole fact as JSON"),
            ),
        ),
        TableSpec(
            "events",
            "a stored event of a council's stream, in words",
            (
                *IDENTITY,
                _VERSION,
                Column("occurred_on", "date", "the day in the world it belongs to"),
                _RECORDED_AT,
                Column("event", "string", "the event's type (`FactRecorded`, `TimerFired`, ...)"),
                Column("summary", "string", "the event in words"),
                Column("actor", "string", "who recorded it (the API token's actor)", nullable=True),
                Column("request_id", "string", "the request that recorded it", nullable=True),
            ),
        ),
        TableSpec(
            "states",
            "a council at the end of a month, from the month it was registered to the current month",
            (
                *IDENTITY,
                Column("month_end", "date", "the last day of the month"),
                _STAGE,
                *_STATES,
                *_RECORD,
            ),
        ),
        TableSpec(
            "timers",
            "a timer a policy scheduled for a council (pending, fired or cancelled)",
            (
                *IDENTITY,
                Column("timer_id", "string", "the timer's id in the council's stream"),
                Column("kind", "string", "what falls due (`action_plan_due`, `reinspection_due`, ...)"),
                *_RULE,
                Column("scheduled_on", "date", "the day it was scheduled"),
                Column("due_on", "date", "the day it falls due (after any move)"),
                Column("status", "string", "`pending`, `fired` or `cancelled`"),
                Column("closed_on", "date", "the day it fired or was cancelled", nullable=True),
            ),
        ),
        TableSpec(
            "expectations",
            "something the policy in force expected of a council",
            (
                *IDENTITY,
                Column("expectation_id", "string", "the expectation's id in the council's stream"),
                Column("kind", "string", "what kind of step was expected"),
                *_RULE,
                Column("expected", "string", "what was expected, in words"),
                Column("opened_on", "date", "the day the policy expected it"),
                Column("due_on", "date", "the deadline, if the rule sets one", nullable=True),
                Column("status", "string", "`open`, `met`, `missed`, `contradicted`, `unverified` or `withdrawn`"),
                Column("closed_on", "date", "the day it was settled", nullable=True),
                Column("closed_by", "string", "the fact that settled it", nullable=True),
            ),
        ),
        TableSpec(
            "deviations",
            "a departure of a council's record from the policy in force",
            (
                *IDENTITY,
                Column("occurred_on", "date", "the day it was found"),
                Column("kind", "string", "the kind of expectation (or `illegal_move`)"),
                Column(
                    "how",
                    "string",
                    "`missed`, `contradicted`, `unverified` (the deadline passed with nothing on record where no "
                    "source covers the record: not evidence that nothing happened) or `illegal_move`",
                ),
                *_RULE,
                Column("expected", "string", "what the policy expected"),
                Column("happened", "string", "what the record holds instead"),
            ),
        ),
        TableSpec(
            "national",
            "how many councils of a region (or of England) were in a stage on a date",
            (
                Column("on", "date", "the date counted (default: 31 March of each year from 2014)"),
                Column("region", "string", "a region, or `England` for every council"),
                Column("stage", "string", "the stage counted (every stage, zeros included)"),
                Column("councils", "integer", "councils in that stage on that date"),
                Column(
                    "councils_dfe_record_covered",
                    "integer",
                    "of those, councils whose DfE record (instrument and delivery) a source covers on that date",
                ),
                Column("region_councils", "integer", "councils of the region (or England) counted on that date"),
                Column(
                    "region_dfe_record_covered",
                    "integer",
                    "of those, councils whose DfE record is covered; where fewer than `region_councils`, the counts "
                    "of intervention stages are floors and the others ceilings",
                ),
            ),
        ),
        TableSpec(
            "simulation",
            "how many councils one Monte Carlo run put in a stage on a sampled month",
            (
                Column("variant", "string", "the DfE policy simulated (`in force` for the regimes in force)"),
                Column("run", "integer", "the run, from 0"),
                Column("month", "date", "the sampled date"),
                Column("stage", "string", "the stage counted"),
                Column("councils", "integer", "councils in that stage in that run on that date"),
            ),
            needs="the Ofsted CSV (`--ofsted-csv`), `--from`, `--years`, `--runs`, `--seed`, `--policy` (repeatable)",
        ),
        TableSpec(
            "simulation_councils",
            "the stage one Monte Carlo run put a council in on a sampled month (the `simulation` table, per council)",
            (
                Column("variant", "string", "the DfE policy simulated (`in force` for the regimes in force)"),
                Column("run", "integer", "the run, from 0 (the same seed's run `r` is `simulation`'s run `r`)"),
                Column(
                    "month",
                    "date",
                    "the sampled date; the first is `--from`: its real state, where a DfE instrument the policy "
                    "expected by then is not on record with that instrument given (as in `simulation`)",
                ),
                *IDENTITY,
                _STAGE,
            ),
            needs="the Ofsted CSV (`--ofsted-csv`), `--from`, `--years`, `--runs`, `--seed`, `--policy` (repeatable), "
            "`--councils` (for ONS codes and regions the record does not carry)",
        ),
        TableSpec(
            "backtest",
            "one origin's forecast of one count on 31 March of one year: the record beside the simulated band, scored",
            (
                Column("origin", "date", "the day the simulation started from the real state"),
                Column(
                    "quantity",
                    "string",
                    "the count: judged_inadequate, improvement_notice, statutory_direction or alternative_delivery",
                ),
                Column("year", "integer", "the count is taken on 31 March of this year"),
                Column("record", "integer", "the record's count on that day"),
                Column(
                    "record_complete",
                    "boolean",
                    "false: the DfE record does not cover every council, so the "
                    "record's count may be off both ways (nothing on record is not nothing happened)",
                ),
                Column("dfe_record_covered", "integer", "councils whose record covers the count"),
                Column("councils", "integer", "councils counted"),
                Column("p5", "float", "the 5th percentile of the simulated runs"),
                Column("p25", "float", "their 25th percentile"),
                Column("p50", "float", "their median"),
                Column("p75", "float", "their 75th percentile"),
                Column("p95", "float", "their 95th percentile"),
                Column("inside_50", "boolean", "whether `record` lies in the 50% band (p25 to p75)"),
                Column("inside_90", "boolean", "whether `record` lies in the 90% band (p5 to p95)"),
                Column("crps", "float", "the continuous ranked probability score of the runs (lower is better)"),
                Column("crps_persistence", "float", "the CRPS of persistence: the record's count on the origin day"),
                Column("crps_climatology", "float", "the CRPS of climatology: the record's mean count on 31 March"),
                Column("interval_score_90", "float", "the interval score of the 90% band (lower is better)"),
                Column("runs", "integer", "Monte Carlo runs"),
                Column("seed", "integer", "the master seed"),
            ),
            needs="the Ofsted CSV (`--ofsted-csv`), `--from` (repeatable: each an origin), `--to`, `--runs`, `--seed`",
        ),
    )
}
STORE_TABLES = ("facts", "events", "states", "timers", "expectations", "deviations", "national")


def data_dictionary() -> str:
    """The tables and their columns in Markdown (`docs/exports.md` holds this text between its markers)."""
    lines: list[str] = []
    for spec in TABLES.values():
        lines += [f"### `{spec.name}`", "", f"One row: {spec.row}. Built from {spec.needs}.", ""]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        for column in spec.columns:
            kind = f"{column.type} or empty" if column.nullable else column.type
            lines.append(f"| `{column.name}` | {kind} | {column.meaning} |")
        lines.append("")
    return "\n".join(lines)
