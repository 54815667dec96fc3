"""Bodies of the agency registry endpoints: a record, a lookup with its resolution, a page."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.codes import ParsedCode

AgencyStatusName = Literal["active", "closed", "suspended"]
#: How a resolution ended (agency-codes.md §4, succession).
ResolutionOutcomeName = Literal["found", "unknown", "closed_without_successor", "suspended"]


class HistoryEvent(BaseModel):
    """One dated change of an agency."""

    model_config = ConfigDict(frozen=True)

    on: date
    kind: str = Field(examples=["created", "renamed", "closed", "succeeded_by"])
    detail: str | None = None


class AgencyRecord(BaseModel):
    """A registered agency as the registry holds it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(examples=["UBND tỉnh Cao Bằng"])
    code: str | None = Field(description="QĐ 20/2020 code (or tax/scheme/other id).")
    code102: str | None = Field(description="QCVN 102:2016 code.", examples=["000.00.00.H14"])
    parent: str | None = None
    level: int | None = None
    email: str | None = None
    phone: str | None = None
    system_id: str | None = Field(default=None, description="The document system serving it.")
    status: AgencyStatusName
    successor: str | None = Field(default=None, description="Code traffic is redirected to.")
    successor_effective: date | None = None
    closed_on: date | None = None
    demo: bool = Field(default=False, description="True for demo records, not real agencies.")
    evidence: str | None = Field(default=None, description="Where the code was verified.")
    history: list[HistoryEvent] = Field(default_factory=list)


class AgencyRef(BaseModel):
    """The few fields that name an agency."""

    model_config = ConfigDict(frozen=True)

    name: str
    code: str | None
    code102: str | None
    status: AgencyStatusName


class Redirect(BaseModel):
    """One succession hop: ``from`` was closed into ``to`` as of ``effective``."""

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)

    from_code: str = Field(alias="from")
    to_code: str = Field(alias="to")
    effective: date | None


class Resolution(BaseModel):
    """Where traffic addressed to a code goes on a date, successors followed."""

    model_config = ConfigDict(frozen=True)

    requested: str
    at: date = Field(description="The date the resolution holds for (Vietnam's calendar).")
    outcome: ResolutionOutcomeName
    code: str | None = Field(description="Primary code of the effective agency, if any.")
    agency: AgencyRef | None = Field(description="The effective agency, if registered.")
    redirects: list[Redirect] = Field(description="Succession hops followed, in order.")


class AgencyLookup(BaseModel):
    """An agency found by either code form, with where its traffic goes."""

    model_config = ConfigDict(frozen=True)

    requested: ParsedCode
    agency: AgencyRecord
    resolution: Resolution


class AgencyPage(BaseModel):
    """One page of registered agencies."""

    model_config = ConfigDict(frozen=True)

    total: int = Field(description="How many agencies match, over all pages.")
    limit: int
    offset: int
    items: list[AgencyRecord]
