"""The base of every fact: when it happened in the world, how precisely that is known, and where it came from;
the longest text each field takes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from ..council_identity import COUNCIL_TEXT_PATTERN
from ..dates import DATE_RANGE, FACT_DAY_PATTERN, LATEST_DATE, within_range
from .precision import DatePrecision, parse_partial_date


class Confidence(StrEnum):
    """How far a source can be trusted (RULES.md conventions)."""

    high = "high"
    medium = "medium"
    low = "low"


# The longest text each field takes (422 beyond): bounded facts keep every event, page and stream bounded.
TEXT_MAX = 4000  # note, detail
REFERENCE_MAX = 2000  # source, report_url
NAME_MAX = 200  # names of councils, people, providers, topics, kinds, regions
CODE_MAX = 20  # codes and URNs
_VISIBLE: dict[str, Any] = {"pattern": COUNCIL_TEXT_PATTERN}  # what council_text accepts, for JSON schemas

LATEST_FACT_DATE = LATEST_DATE  # facts, simulated ones included, stop here: timers in between are bounded
# A fact's own date: a day, or a month, quarter or year placed on its first day (`_place_partial_date`).
FactDate = Annotated[
    dt.date,
    AfterValidator(within_range),
    WithJsonSchema({"type": "string", "pattern": FACT_DAY_PATTERN, "description": f"a date from {DATE_RANGE}"}),
]


class Fact(BaseModel):
    """Base of every fact: when it happened in the world, how precisely that is known, and where it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    trigger_name: ClassVar[str] = ""

    occurred_on: FactDate
    date_precision: DatePrecision = DatePrecision.day
    source: str | None = Field(default=None, max_length=REFERENCE_MAX)
    confidence: Confidence | None = Field(default=None, description="how far the source can be trusted")
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    simulated: bool = Field(default=False, strict=True)  # strict: 1 or "yes" is not a boolean
    provenance: tuple[Annotated[str, Field(max_length=REFERENCE_MAX)], ...] = Field(
        default=(), description="every source that reported this fact, e.g. 'dfe_interventions.csv line 12 (high)'"
    )
    inferred: bool = Field(
        default=False, strict=True, description="no source states it: the record implies it (DESIGN 12)"
    )
    inference: str | None = Field(
        default=None, max_length=TEXT_MAX, description="the rule that inferred or re-read the fact, and why"
    )
    implied_by: str | None = Field(
        default=None, max_length=TEXT_MAX, description="the fact on record that implied an inferred one"
    )

    @model_validator(mode="before")
    @classmethod
    def _place_partial_date(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and isinstance(data.get("occurred_on"), int | float)
            and not isinstance(data.get("occurred_on"), bool)
        ):
            raise ValueError("occurred_on must be a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY), not a number")
        if isinstance(data, dict) and isinstance(data.get("occurred_on"), str):
            try:
                day, precision = parse_partial_date(data["occurred_on"])
            except ValueError:
                return data  # pydantic reports the malformed date with its field name
            data = {**data, "occurred_on": day}
            if precision is not DatePrecision.day:
                data.setdefault("date_precision", precision)
        return data

    @property
    def trigger(self) -> str:
        """The rulebook trigger this fact fires: the same verb as the aggregate's command."""
        return self.trigger_name

    def describe(self) -> str:
        return str(getattr(self, "type", type(self).__name__))
