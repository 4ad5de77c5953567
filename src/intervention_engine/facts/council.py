"""Facts of a council's record that move no stage: its registration, what its sources cover, and notes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from ..council_identity import CouncilText
from .base import _VISIBLE, CODE_MAX, NAME_MAX, TEXT_MAX, Fact, FactDate


class CouncilRegistered(Fact):
    """A council enters the engine (its first fact; the stream id is derived from `code`)."""

    type: Literal["council_registered"] = "council_registered"
    trigger_name: ClassVar[str] = "register"
    code: CouncilText = Field(
        min_length=1, max_length=CODE_MAX, description="DfE three-digit LA code (the engine's code pattern decides)"
    )
    name: CouncilText = Field(min_length=1, max_length=NAME_MAX, json_schema_extra=_VISIBLE)
    ons_code: CouncilText | None = Field(default=None, max_length=CODE_MAX, json_schema_extra=_VISIBLE)
    ofsted_urn: CouncilText | None = Field(default=None, max_length=CODE_MAX, json_schema_extra=_VISIBLE)
    region: CouncilText | None = Field(default=None, max_length=NAME_MAX, json_schema_extra=_VISIBLE)
    also_known_as: list[Annotated[CouncilText, Field(max_length=NAME_MAX, json_schema_extra=_VISIBLE)]] | None = Field(
        default=None, max_length=10, description="other names people give the council (councils.csv)"
    )
    record_complete: bool = Field(
        default=True,
        strict=True,
        description="the registering source keeps this council's whole record (every region) from this day on; "
        "importers of partial national records say false and declare what their sources cover (coverage_declared)",
    )


class Region(StrEnum):
    """The lifecycle's regions (DESIGN decision 4), as sources name what they cover."""

    judgement = "judgement"
    instrument = "instrument"
    delivery = "delivery"
    supervision = "supervision"


class CoverageDeclared(Fact):
    """A source says it holds everything that happened in these regions of the council's life over a span
    (DESIGN decision 12): a scenario file or research timeline covers every region over its span, the Ofsted CSV
    the judgements. Where no source covers a region, its state is "nothing on record", and a policy expectation
    missed there is `unverified`, not `missed`. It moves no state; `occurred_on` is when it was declared."""

    type: Literal["coverage_declared"] = "coverage_declared"
    trigger_name: ClassVar[str] = "declare_coverage"
    regions: tuple[Region, ...] = Field(min_length=1)
    covers_from: FactDate
    covers_until: FactDate | None = Field(default=None, description="open-ended when omitted")

    @model_validator(mode="after")
    def _span(self) -> CoverageDeclared:
        if self.covers_until is not None and self.covers_until < self.covers_from:
            raise ValueError(f"covers_until {self.covers_until} is before covers_from {self.covers_from}")
        return self


class NoteRecorded(Fact):
    """Something the record mentions that moves no state: an inquiry, a restructure, a replaced commissioner.

    Importers keep events they cannot express as other facts this way, so nothing is dropped in silence.
    """

    type: Literal["note_recorded"] = "note_recorded"
    trigger_name: ClassVar[str] = "record_note"
    kind: str = Field(
        min_length=1, max_length=NAME_MAX, description="what the source called it, e.g. independent_inquiry"
    )
    detail: str | None = Field(default=None, max_length=TEXT_MAX)
